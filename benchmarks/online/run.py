"""Online boosting (``tb.online``): the cost of one step, prediction latency as the ensemble
grows, and CartPole-v1 with a boosted-tree actor-critic (examples/rl_cartpole.py).

- step: one depth-4 tree on a batch of 2,048 rows x 4 features x 3 outputs (median of 200
  compiled steps), for each grow policy and split score;
- predict: one state, and a batch of 2,048 rows, at 100, 1,000 and 10,000 trees (median);
- CartPole: 3 seeds, shared and separate actor-critic trees, 200,000 environment steps each.

Writes ``benchmarks/online/RESULTS.md``.

Run: ``python -m benchmarks.online.run [--quick] [--seeds N] [--output PATH]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

import numpy as np

from treeboost.online import SGD, Adam, OnlineBooster

from ..common.report import machine_info

OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rl_cartpole.py"


def _median_seconds(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def bench_step(repeat: int) -> list[tuple[str, str, float]]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2048, 4))
    grad = rng.normal(size=(2048, 3)) + (X[:, :3] > 0)
    rows = []
    for policy in ("greedy", "oblivious"):
        for score in ("l2", "cosine"):
            model = OnlineBooster(
                3, max_depth=4, grow_policy=policy, split_score=score,
                optimizers=[SGD(0.05, 0, 2), Adam(0.01, 2)],
            )  # fmt: skip
            model.step(X, grad)  # compile
            rows.append(
                (policy, score, 1e3 * _median_seconds(lambda m=model: m.step(X, grad), repeat))
            )
    return rows


def bench_predict(sizes: tuple[int, ...], repeat: int) -> list[tuple[str, int, float, float]]:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(256, 4))
    state = rng.normal(size=4)
    batch = rng.normal(size=(2048, 4))
    rows = []
    for policy in ("greedy", "oblivious"):
        model = OnlineBooster(3, max_depth=4, grow_policy=policy, optimizers=SGD(0.01))
        for size in sizes:
            while model.n_trees < size:
                model.step(X, rng.normal(size=(256, 3)) + (X[:, :3] > 0))
            model.predict(state)  # compile
            one = _median_seconds(lambda m=model: m.predict(state), repeat)
            many = _median_seconds(lambda m=model: m.predict(batch), max(5, repeat // 100))
            rows.append((policy, size, 1e6 * one, 1e3 * many))
    return rows


def bench_cartpole(seeds: int, total_steps: int | None) -> list[dict]:
    spec = importlib.util.spec_from_file_location("example_rl_cartpole", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    results = []
    for seed in range(seeds):
        for shared in (True, False):
            result = example.run(seed=seed, shared=shared, total_steps=total_steps)
            print(
                f"cartpole seed {seed} {'shared' if shared else 'separate'}: steps to 195 "
                f"{result['steps_to_target']}, mean-100 {result['mean_return_100']:.1f}, "
                f"{result['wall_s']:.0f}s",
                flush=True,
            )
            results.append(result)
    return results


def report(step_rows, predict_rows, cartpole, info) -> str:
    lines = [
        "# Online boosting: step cost, prediction latency, CartPole",
        "",
        f"Machine: {info.get('cpu_model')}, {info.get('usable_cores')} usable cores, Python "
        f"{info.get('python')}; the machine was shared with other work while this ran (load "
        f"average {info['load']} at the end), so the times are indicative. Rerun: "
        "`python -m benchmarks.online.run`.",
        "",
        "## One step",
        "",
        "One depth-4 tree fitted to the gradients of 2,048 rows x 4 features x 3 outputs (two "
        "SGD logits, one Adam value), thresholds recomputed from the batch (quantiles, "
        "`max_bin=256`); median of compiled steps, binning included.",
        "",
        "| grow policy | split score | step (ms) |",
        "|---|---|---:|",
    ]
    lines += [f"| {p} | {s} | {ms:.2f} |" for p, s, ms in step_rows]
    lines += [
        "",
        "## Prediction as the ensemble grows",
        "",
        "Depth-4 trees, 3 outputs; `predict` of one state (a 1-d array, as an agent calls it "
        "each environment step; Python call included) and of a batch of 2,048 rows (all "
        "threads); medians.",
        "",
        "| grow policy | trees | one state (µs) | 2,048 rows (ms) |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {p} | {n:,} | {us:.1f} | {ms:.2f} |" for p, n, us, ms in predict_rows]
    if cartpole:
        cfg = cartpole[0]["config"]
        lines += [
            "",
            "## CartPole-v1, A2C with boosted trees",
            "",
            "`examples/rl_cartpole.py`: A2C, "
            f"{cfg['n_envs']} environments x {cfg['n_steps']} steps per update (one tree per "
            f"update and ensemble), GAE lambda {cfg['gae_lambda']}, gamma {cfg['gamma']}, "
            f"advantages normalised per batch; trees of depth {cfg['max_depth']} "
            f"({cfg['grow_policy']}, split score {cfg['split_score']}, max_bin "
            f"{cfg['max_bin']}); actor SGD lr {cfg['actor_lr']}, critic SGD lr "
            f"{cfg['critic_lr']}. Shared: one ensemble with 3 outputs (2 logits, the value), "
            "one tree per update; separate: an actor and a critic ensemble. Return: the mean "
            "return of the last 100 finished training episodes (the stochastic policy). "
            "Target: 195 within 200,000 steps.",
            "",
            "| seed | actor-critic | steps to mean-100 >= 195 | final mean-100 return | episodes "
            "| trees | wall (s) |",
            "|---:|---|---:|---:|---:|---:|---:|",
        ]
        for r in cartpole:
            reached = f"{r['steps_to_target']:,}" if r["steps_to_target"] else "not reached"
            lines.append(
                f"| {r['seed']} | {'shared' if r['shared'] else 'separate'} | {reached} | "
                f"{r['mean_return_100']:.1f} | {r['episodes']:,} | {r['trees']:,} | "
                f"{r['wall_s']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Online boosting benchmark")
    parser.add_argument("--quick", action="store_true", help="few repeats, 20,000 RL steps")
    parser.add_argument("--seeds", type=int, default=3, help="CartPole seeds (0 skips it)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    repeat = 20 if args.quick else 200
    step_rows = bench_step(repeat)
    for row in step_rows:
        print("step", row, flush=True)
    predict_rows = bench_predict((100, 1_000, 10_000), 100 if args.quick else 2_000)
    for row in predict_rows:
        print("predict", row, flush=True)
    cartpole = bench_cartpole(args.seeds, 20_000 if args.quick else None) if args.seeds else []
    info = {**machine_info(), "load": f"{os.getloadavg()[0]:.1f}"}
    args.output.write_text(report(step_rows, predict_rows, cartpole, info))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
