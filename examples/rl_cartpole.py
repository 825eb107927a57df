"""Actor-critic (A2C) on CartPole-v1 with boosted trees as policy and value: numpy only.

Every update collects a short rollout from a few environments, computes the A2C loss's gradient
with respect to the policy logits and the value by hand, and adds one tree to the ensemble
(``shared=True``: one tree with 3 outputs, two logits and the value, each slice with its own
optimizer) or one tree to each of two ensembles (``shared=False``).

    python examples/rl_cartpole.py --seed 0            # shared actor-critic tree
    python examples/rl_cartpole.py --seed 0 --separate # separate actor and critic ensembles

Needs gymnasium (``pip install treeboost[rl]``).
"""

from __future__ import annotations

import argparse
import time
from collections import deque
from typing import Any

import numpy as np

import treeboost.online as tbo

TARGET = 195.0


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class ActorCritic:
    """Policy logits and value from one shared ensemble or from two."""

    def __init__(self, shared: bool, n_actions: int, n_features: int, cfg: dict) -> None:
        self.shared = shared
        self.n_actions = n_actions
        common = {
            "max_depth": cfg["max_depth"],
            "grow_policy": cfg["grow_policy"],
            "split_score": cfg["split_score"],
            "max_bin": cfg["max_bin"],
            "n_features": n_features,
        }
        actor_opt = tbo.SGD(cfg["actor_lr"], 0, n_actions)
        critic = tbo.Adam if cfg["critic_optimizer"] == "adam" else tbo.SGD
        if shared:
            critic_opt = critic(cfg["critic_lr"], n_actions, n_actions + 1)
            self.model = tbo.OnlineBooster(n_actions + 1, optimizers=[actor_opt, critic_opt],
                                           **common)  # fmt: skip
        else:
            self.actor = tbo.OnlineBooster(n_actions, optimizers=actor_opt, **common)
            self.critic = tbo.OnlineBooster(1, optimizers=critic(cfg["critic_lr"]), **common)

    def predict(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.shared:
            out = self.model.predict(states)
            return out[:, : self.n_actions], out[:, self.n_actions]
        return self.actor.predict(states), self.critic.predict(states)[:, 0]

    def update(self, states: np.ndarray, grad_logits: np.ndarray, grad_value: np.ndarray) -> None:
        if self.shared:
            self.model.step(states, np.column_stack([grad_logits, grad_value]))
        else:
            self.actor.step(states, grad_logits)
            self.critic.step(states, grad_value[:, None])

    @property
    def n_trees(self) -> int:
        return self.model.n_trees if self.shared else self.actor.n_trees + self.critic.n_trees


def _gae(rewards, values, next_values, done, gamma, lam):
    """Generalised advantage estimates over a (T, N) rollout; ``done`` cuts the recursion."""
    n_steps = rewards.shape[0]
    adv = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1])
    for t in reversed(range(n_steps)):
        delta = rewards[t] + gamma * next_values[t] - values[t]
        running = delta + gamma * lam * (1.0 - done[t]) * running
        adv[t] = running
    return adv


def policy_gradient(logits, actions, adv, ent_coef):
    """Gradient with respect to the logits of the A2C policy loss
    ``-log pi(a|s) * A - ent_coef * entropy``, per row."""
    probs = _softmax(logits)
    grad = (probs - np.eye(logits.shape[1])[actions]) * adv[:, None]
    if ent_coef:
        log_p = np.log(probs + 1e-12)
        entropy = -(probs * log_p).sum(axis=1, keepdims=True)
        grad += ent_coef * probs * (log_p + entropy)
    return grad


DEFAULTS = {
    "n_envs": 16,
    "n_steps": 8,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "ent_coef": 0.0,
    "actor_lr": 0.05,
    "critic_lr": 0.1,
    "critic_optimizer": "sgd",
    "max_depth": 4,
    "grow_policy": "greedy",
    "split_score": "l2",
    "max_bin": 64,
}


def run(
    quick: bool = False,
    seed: int = 0,
    shared: bool = True,
    total_steps: int | None = None,
    verbose: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """Train on CartPole-v1; returns a dict of results.

    ``quick`` runs 16,000 environment steps (for the tests), else 200,000 (``total_steps``
    overrides both). Results: ``mean_return_100`` (mean return of the last 100 finished
    episodes), ``steps_to_target`` (environment steps when that mean first reached 195, or
    None), ``episodes``, ``first_returns`` (the first 20 episode returns), ``trees``,
    ``wall_s`` and the configuration.
    """
    import gymnasium as gym

    cfg = {**DEFAULTS, **overrides}
    total = total_steps or (16_000 if quick else 200_000)
    rng = np.random.default_rng(seed)
    envs = [gym.make("CartPole-v1") for _ in range(cfg["n_envs"])]
    states = np.array([env.reset(seed=seed * 1000 + i)[0] for i, env in enumerate(envs)])
    n_actions = envs[0].action_space.n
    agent = ActorCritic(shared, n_actions, states.shape[1], cfg)
    n_envs, n_steps = cfg["n_envs"], cfg["n_steps"]
    episode_return = np.zeros(n_envs)
    returns: list[float] = []
    last100: deque[float] = deque(maxlen=100)
    steps_to_target = None
    steps = 0
    start = time.perf_counter()
    while steps < total:
        obs = np.empty((n_steps, n_envs, states.shape[1]))
        actions = np.empty((n_steps, n_envs), dtype=np.int64)
        rewards = np.empty((n_steps, n_envs))
        done = np.zeros((n_steps, n_envs))
        next_values = np.empty((n_steps, n_envs))
        for t in range(n_steps):
            logits, _ = agent.predict(states)
            probs = _softmax(logits)
            a = (rng.random(n_envs)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
            a = np.minimum(a, n_actions - 1)
            obs[t], actions[t] = states, a
            next_states = np.empty_like(states)
            bootstrap = np.empty_like(states)
            for i, env in enumerate(envs):
                s, r, terminated, truncated, _ = env.step(int(a[i]))
                rewards[t, i] = r
                episode_return[i] += r
                bootstrap[i] = s
                if terminated or truncated:
                    returns.append(episode_return[i])
                    last100.append(episode_return[i])
                    episode_return[i] = 0.0
                    s, _ = env.reset()
                    # A time limit is not a failure: the value after it still counts.
                    done[t, i] = 1.0
                    if terminated:
                        bootstrap[i] = np.nan
                next_states[i] = s
            steps += n_envs
            cut = np.isnan(bootstrap[:, 0])
            _, v_next = agent.predict(np.where(cut[:, None], 0.0, bootstrap))
            next_values[t] = np.where(cut, 0.0, v_next)
            states = next_states
            if steps_to_target is None and len(last100) == 100 and np.mean(last100) >= TARGET:
                steps_to_target = steps
        flat = obs.reshape(-1, states.shape[1])
        logits, values = agent.predict(flat)
        values = values.reshape(n_steps, n_envs)
        adv = _gae(rewards, values, next_values, done, cfg["gamma"], cfg["gae_lambda"])
        targets = (adv + values).ravel()
        adv = adv.ravel()
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        grad_logits = policy_gradient(logits, actions.ravel(), adv, cfg["ent_coef"])
        grad_value = values.ravel() - targets  # d/dV of (V - target)^2 / 2
        agent.update(flat, grad_logits, grad_value)
        if verbose and last100 and steps % (n_envs * n_steps * 100) == 0:
            elapsed = time.perf_counter() - start
            print(
                f"steps {steps:>7}  mean-100 {np.mean(last100):6.1f}  episodes {len(returns)}"
                f"  trees {agent.n_trees}  {elapsed:.0f}s"
            )
    for env in envs:
        env.close()
    return {
        "seed": seed,
        "shared": shared,
        "steps": steps,
        "steps_to_target": steps_to_target,
        "mean_return_100": float(np.mean(last100)) if last100 else 0.0,
        "episodes": len(returns),
        "first_returns": [float(r) for r in returns[:20]],
        "trees": agent.n_trees,
        "wall_s": time.perf_counter() - start,
        "config": cfg,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--separate", action="store_true", help="actor and critic ensembles")
    parser.add_argument("--quick", action="store_true", help="16,000 steps")
    parser.add_argument("--steps", type=int, default=None, help="environment steps")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, seed=args.seed, shared=not args.separate,
                 total_steps=args.steps, verbose=True)  # fmt: skip
    print(
        f"seed {result['seed']}  {'shared' if result['shared'] else 'separate'}  steps to 195: "
        f"{result['steps_to_target']}  mean-100 return {result['mean_return_100']:.1f}  "
        f"wall {result['wall_s']:.0f}s"
    )
    return result


if __name__ == "__main__":
    main()
