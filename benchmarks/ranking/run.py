"""The per-round gradient of ``rank:ndcg``: treeboost against XGBoost, 1,000,000 rows in 10,000
queries, 2 threads.

XGBoost has no call that computes the gradient of a built-in objective alone, so both
libraries are measured the same way: train ``rounds`` rounds of depth-1 stumps with
``rank:ndcg`` and again with ``reg:squarederror`` on the same data; the difference of the two
times per round is what the ranking gradient costs (a stump on 10 features costs the same
whichever gradient it is grown on). treeboost's ``gradient_hessian`` is also timed on its own,
at the scores of the trained stumps.

Both libraries run at their ``rank:ndcg`` defaults (top-k pairs with k = 32, NDCG-weighted
lambdas, both normalizations) with ``base_score=0``: given a base score, XGBoost skips the extra
gradient it otherwise computes to fit one. Data: ``n_queries`` queries of Poisson-distributed
sizes (mean ``n_rows / n_queries``), rows sorted by query (XGBoost needs that), 10 float32
features, 5 relevance levels drawn from a noisy linear score; seeded.

Each measurement runs in a fresh process (``OMP_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` set to
the thread count): build the data and the library's dataset, warm up with one round (binning,
compiled kernels), then time the training. Repeats alternate the library order; the table shows
medians.

Run: ``python -m benchmarks.ranking.run [--rounds 20] [--repeats 3] [--threads 2]``; writes
``benchmarks/ranking/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ..common.report import machine_info

MODULE = "benchmarks.ranking.run"  # how each measurement starts this file again, as a child
OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"
LIBS = ("treeboost", "xgboost")
OBJECTIVES = ("rank:ndcg", "reg:squarederror")
N_FEATURES = 10
TOP_K = 32  # rank:ndcg's default number of top documents paired, in both libraries


def make_data(n_rows: int, n_queries: int, seed: int = 0):
    """(X float32, relevance 0..4, sorted query ids): deterministic in the arguments."""
    rng = np.random.default_rng(seed)
    qid = np.sort(rng.integers(0, n_queries, n_rows))
    X = rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)
    score = X[:, :4] @ np.array([1.0, -0.7, 0.5, 0.3]) + rng.normal(size=n_rows)
    # Few relevant documents per query, as in search logs: 50/25/13/8/4%.
    y = np.digitize(score, np.quantile(score, [0.5, 0.75, 0.88, 0.96])).astype(np.float32)
    return X, y, qid


def pairs_per_round(qid: np.ndarray, top_k: int = TOP_K) -> int:
    """Document pairs the top-k method visits per round (those of equal labels included)."""
    sizes = np.bincount(qid).astype(np.int64)
    top = np.minimum(sizes, top_k)
    # sum over a < top of (size - 1 - a)
    return int(np.sum(top * (sizes - 1) - top * (top - 1) // 2))


def child(spec: dict) -> dict:
    X, y, qid = make_data(spec["n_rows"], spec["n_queries"])
    rounds, threads, objective = spec["rounds"], spec["threads"], spec["objective"]
    out: dict = {}
    if spec["lib"] == "treeboost":
        import treeboost as tb

        data = tb.Dataset(X, label=y, qid=qid)
        params = {"objective": objective, "max_depth": 1, "learning_rate": 0.1, "max_bin": 256,
                  "base_score": 0.0, "n_jobs": threads}  # fmt: skip
        tb.train(params, data, 1)  # bins the data, loads the kernels
        start = time.perf_counter()
        model = tb.train(params, data, rounds)
        out["seconds"] = time.perf_counter() - start
        if objective == "rank:ndcg":
            # numba's pool has NUMBA_NUM_THREADS = threads threads (set by the parent).
            margin = model.predict(X, output_margin=True).reshape(-1, 1)
            gh = np.empty((1, X.shape[0], 2), dtype=np.float32)
            calls = []
            for _ in range(rounds):
                start = time.perf_counter()
                model.objective.gradient_hessian(data.label, margin, None, gh, threads)
                calls.append(time.perf_counter() - start)
            out["direct"] = statistics.median(calls)
    else:
        import xgboost as xgb

        data = xgb.QuantileDMatrix(X, y, qid=qid, max_bin=256, nthread=threads)
        params = {"objective": objective, "max_depth": 1, "learning_rate": 0.1, "max_bin": 256,
                  "base_score": 0.0, "tree_method": "hist", "nthread": threads}  # fmt: skip
        xgb.train(params, data, 1)
        start = time.perf_counter()
        xgb.train(params, data, rounds)
        out["seconds"] = time.perf_counter() - start
    return out


def run_child(spec: dict) -> dict:
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = env["NUMBA_NUM_THREADS"] = str(spec["threads"])
    done = subprocess.run(
        [sys.executable, "-m", MODULE, "--child", json.dumps(spec)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"child {spec} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def render(results: dict, args: argparse.Namespace, pairs: int, loads: tuple) -> str:
    rounds = args.rounds

    def per_round(lib: str, objective: str) -> float:
        return statistics.median(r["seconds"] for r in results[lib][objective]) / rounds

    rows = []
    gradient = {}
    for lib in LIBS:
        rank, plain = per_round(lib, "rank:ndcg"), per_round(lib, "reg:squarederror")
        gradient[lib] = rank - plain
        rows.append((lib, rank, plain, gradient[lib]))
    direct = statistics.median(r["direct"] for r in results["treeboost"]["rank:ndcg"])
    info = machine_info()
    versions = info["versions"]
    lines = [
        "# The per-round gradient of `rank:ndcg`: treeboost against XGBoost",
        "",
        f"{args.n_rows:,} rows in {args.n_queries:,} queries (Poisson sizes, mean "
        f"{args.n_rows // args.n_queries}), {N_FEATURES} features, relevance 0-4; "
        f"{args.threads} threads; {rounds} rounds of depth-1 stumps per fit; median of "
        f"{args.repeats} repeats. Both libraries at their `rank:ndcg` defaults (top-32 pairs: "
        f"{pairs:,} document pairs per round).",
        "",
        "Method: XGBoost cannot compute a built-in objective's gradient alone, so each library "
        "trains the same stumps with `rank:ndcg` and with `reg:squarederror`; the difference "
        "per round is the ranking gradient's cost. `base_score=0` for both (otherwise XGBoost "
        "computes one more gradient to fit it). treeboost's `gradient_hessian` call is also "
        "timed on its own, at the trained stumps' scores. Each fit runs in a fresh process "
        "after a one-round warm-up. Command: `python -m benchmarks.ranking.run`.",
        "",
        "| library | `rank:ndcg` s/round | `reg:squarederror` s/round | gradient s/round "
        "(difference) | ns per pair |",
        "|---|---:|---:|---:|---:|",
    ]
    for lib, rank, plain, grad in rows:
        name = "treeboost" if lib == "treeboost" else "XGBoost"
        lines.append(
            f"| {name} | {rank:.3f} | {plain:.3f} | {grad:.3f} | {grad / pairs * 1e9:.1f} |"
        )
    lines.append(
        f"| treeboost, `gradient_hessian` alone | | | {direct:.3f} | {direct / pairs * 1e9:.1f} |"
    )
    lines += [
        "",
        f"Ratio treeboost / XGBoost: **{gradient['treeboost'] / gradient['xgboost']:.2f}** "
        f"(training difference); {direct / gradient['xgboost']:.2f} (treeboost's direct call "
        "against XGBoost's difference). Target: at most 1.2.",
        "",
        f"Machine: {info['cpu_model']}, {info['usable_cores']} cores; load average "
        f"{loads[0]:.2f} before, {loads[1]:.2f} after. treeboost {versions['treeboost']}, "
        f"XGBoost {versions['XGBoost']}, numpy {versions['numpy']}, numba {versions['numba']}.",
        f"Code: {info['treeboost_git']}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-rows", type=int, default=1_000_000)
    parser.add_argument("--n-queries", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    _, _, qid = make_data(args.n_rows, args.n_queries)
    pairs = pairs_per_round(qid)
    load_before = os.getloadavg()[0]
    results: dict = {lib: {objective: [] for objective in OBJECTIVES} for lib in LIBS}
    for repeat in range(args.repeats):
        order = LIBS[repeat % 2 :] + LIBS[: repeat % 2]
        for lib in order:
            for objective in OBJECTIVES:
                spec = {"lib": lib, "objective": objective, "rounds": args.rounds,
                        "threads": args.threads, "n_rows": args.n_rows,
                        "n_queries": args.n_queries}  # fmt: skip
                result = run_child(spec)
                results[lib][objective].append(result)
                seconds = result["seconds"] / args.rounds
                print(f"repeat {repeat} {lib:9s} {objective:17s} {seconds:.3f} s/round",
                      file=sys.stderr)  # fmt: skip
    report = render(results, args, pairs, (load_before, os.getloadavg()[0]))
    args.output.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
