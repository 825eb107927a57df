"""examples/rl_cartpole.py in quick mode: boosted-tree actor-critic learns CartPole."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rl_cartpole.py"


def _example():
    spec = importlib.util.spec_from_file_location("example_rl_cartpole", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _random_policy_return(episodes: int = 100, seed: int = 0) -> float:
    env = gym.make("CartPole-v1")
    env.action_space.seed(seed)
    total = 0.0
    for episode in range(episodes):
        env.reset(seed=seed + episode)
        done = False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total += reward
            done = terminated or truncated
    env.close()
    return total / episodes


@pytest.mark.parametrize("shared", [True, False])
def test_quick_actor_critic_beats_a_random_policy(shared):
    result = _example().run(quick=True, seed=0, shared=shared)
    random_return = _random_policy_return()
    assert 15 < random_return < 30  # CartPole's random policy lasts about 22 steps
    assert result["steps"] >= 16_000 and result["episodes"] > 100
    # The mean of the last 100 episodes is well above chance, and above where it started.
    assert result["mean_return_100"] > 2 * random_return
    assert result["mean_return_100"] > 2 * np.mean(result["first_returns"])
    assert result["trees"] == (1 if shared else 2) * -(-result["steps"] // 128)


def test_policy_gradient_matches_finite_differences():
    example = _example()
    rng = np.random.default_rng(0)
    logits, actions, adv = rng.normal(size=(5, 3)), rng.integers(0, 3, 5), rng.normal(size=5)

    def loss(z):
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        entropy = -(np.exp(log_p) * log_p).sum(axis=1)
        return (-log_p[np.arange(5), actions] * adv - 0.05 * entropy).sum()

    numeric = np.zeros_like(logits)
    for i in range(5):
        for j in range(3):
            step = np.zeros_like(logits)
            step[i, j] = 1e-6
            numeric[i, j] = (loss(logits + step) - loss(logits - step)) / 2e-6
    got = example.policy_gradient(logits, actions, adv, 0.05)
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-7)
