"""Dask training against xgboost.dask on the same LocalCluster: fit time, peak memory per worker
and the bytes the driver received per round, for 1, 2 and 4 workers, on a table larger than one
worker's memory limit.

The table is generated on the workers, partition by partition (a Higgs-sized 28 float64
features; the label a noisy logistic function of a few of them), so no process ever holds all
of it; each worker gets ``--memory-limit`` (Dask spills and pauses above fractions of it). A
fresh cluster per library and worker count, so each worker's peak RSS (VmHWM) is that run's.
Test AUC on 200,000 held-out rows drawn the same way. treeboost's bytes are what its shards
returned to the driver (histograms, counts, metric shares); XGBoost's own collective moves its
histograms between workers, which this script cannot see (n/a).

Run: ``python -m benchmarks.dask.run [--rows N] [--rounds R] [--workers 1 2 4] [--quick]``.
Writes ``benchmarks/dask/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from ..common.report import machine_info

OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"
N_FEATURES = 28
CHUNK_ROWS = 250_000


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _label(block: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + int(abs(block[0, 0]) * 1e6) % 1_000_003)
    score = block[:, 0] - 0.8 * block[:, 1] + 0.5 * block[:, 2] * block[:, 3] + np.sin(block[:, 4])
    return (score + rng.logistic(size=block.shape[0]) > 0).astype(np.float64)


def _table(rows: int, seed: int):
    import dask.array as da

    chunk = min(CHUNK_ROWS, max(rows // 8, 1))
    X = da.random.default_rng(seed).standard_normal((rows, N_FEATURES), chunks=(chunk, N_FEATURES))
    y = X.map_blocks(_label, seed, drop_axis=1, dtype=np.float64)
    return X, y


def _holdout(seed: int, rows: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed + 1).standard_normal((rows, N_FEATURES))
    return X, _label(X, seed + 1)


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def _run_treeboost(client, X, y, rounds: int, holdout) -> dict:
    from treeboost.dask import DaskDataset, train

    params = {"objective": "binary:logistic", "max_depth": 6, "grow_policy": "depthwise",
              "learning_rate": 0.1, "max_bin": 256}  # fmt: skip
    start = time.perf_counter()
    dtrain = DaskDataset(client, X, y, max_bin=256)
    binned = time.perf_counter()
    stats: dict = {}
    model = train(client, params, dtrain, rounds, stats=stats)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "data_seconds": binned - start,
        "auc": _auc(holdout[1], model.predict(holdout[0])),
        "bytes_per_round": stats["bytes_from_workers"] / max(stats["rounds"], 1),
    }


def _run_xgboost(client, X, y, rounds: int, holdout) -> dict:
    import xgboost as xgb
    import xgboost.dask  # noqa: F401  (loads the submodule)

    params = {"objective": "binary:logistic", "max_depth": 6, "eta": 0.1, "max_bin": 256,
              "tree_method": "hist", "nthread": 1}  # fmt: skip
    start = time.perf_counter()
    dtrain = xgb.dask.DaskQuantileDMatrix(client, X, y, max_bin=256)
    binned = time.perf_counter()
    out = xgb.dask.train(client, params, dtrain, num_boost_round=rounds)
    seconds = time.perf_counter() - start
    booster = out["booster"]
    prediction = booster.predict(xgb.DMatrix(holdout[0]))
    return {"seconds": seconds, "data_seconds": binned - start,
            "auc": _auc(holdout[1], prediction), "bytes_per_round": None}  # fmt: skip


def _one(library: str, n_workers: int, args, holdout) -> dict:
    from distributed import Client, LocalCluster

    X, y = _table(args.rows, args.seed)
    with LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",
        memory_limit=args.memory_limit, silence_logs=50,
    ) as cluster, Client(cluster) as client:  # fmt: skip
        run = _run_treeboost if library == "treeboost" else _run_xgboost
        try:
            result = run(client, X, y, args.rounds, holdout)
        except Exception as exc:  # a library that cannot finish under the limit is reported
            result = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"}
        peaks = client.run(_peak_rss_mib)
        result["peak_mib"] = max(peaks.values()) if peaks else float("nan")
    result.update(library=library, workers=n_workers)
    print(result, flush=True)
    return result


def _table_markdown(results: list[dict], args) -> str:
    table_mib = args.rows * N_FEATURES * 8 / 2**20
    lines = [
        "# Dask training: treeboost.dask against xgboost.dask",
        "",
        f"`python -m benchmarks.dask.run --rows {args.rows} --rounds {args.rounds} "
        f"--memory-limit {args.memory_limit}`: a {args.rows:,} x {N_FEATURES} float64 table "
        f"({table_mib:,.0f} MiB, generated on the workers in {CHUNK_ROWS:,}-row partitions), "
        f"each worker limited to {args.memory_limit}; binary:logistic, depth 6, 256 bins, "
        f"learning rate 0.1, {args.rounds} rounds, one thread per worker. Fit time includes "
        "building the library's distributed data (binning). Peak = the largest worker's peak "
        "RSS. Bytes/round = what treeboost's shards returned to the driver per round. "
        "All workers share this machine's cores, so on a small machine more workers are not "
        "faster: the table shows memory per worker, bytes moved and that each library finishes.",
        "",
        "| workers | library | fit s | of which data s | peak MiB per worker | test AUC | "
        "bytes/round | vs xgboost |",
        "| ---: | :--- | ---: | ---: | ---: | ---: | ---: | :--- |",
    ]
    by_key = {(r["library"], r["workers"]): r for r in results}
    for r in results:
        if "error" in r:
            lines.append(f"| {r['workers']} | {r['library']} | failed: {r['error']} | | "
                         f"{r['peak_mib']:,.0f} | | | |")  # fmt: skip
            continue
        other = by_key.get(("xgboost", r["workers"]))
        ratio = ""
        if r["library"] == "treeboost" and other and "error" not in other:
            ratio = (f"time {r['seconds'] / other['seconds']:.2f}x, "
                     f"memory {r['peak_mib'] / other['peak_mib']:.2f}x")  # fmt: skip
        sent = "n/a" if r["bytes_per_round"] is None else f"{r['bytes_per_round'] / 2**20:.2f} MiB"
        lines.append(
            f"| {r['workers']} | {r['library']} | {r['seconds']:.1f} | {r['data_seconds']:.1f} | "
            f"{r['peak_mib']:,.0f} | "
            f"{r['auc']:.4f} | {sent} | {ratio} |"
        )
    info = machine_info()
    lines += ["", f"Machine: {info.get('cpu_model')}, {info.get('usable_cores')} usable cores, "
              f"Python {info.get('python')}; versions {info.get('versions')}.", ""]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--memory-limit", default="800MiB")
    parser.add_argument("--libraries", nargs="+", default=["treeboost", "xgboost"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="200,000 rows, 3 rounds, 1-2 workers")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.rounds, args.workers = 200_000, 3, [1, 2]
    holdout = _holdout(args.seed)
    results = [_one(lib, n, args, holdout) for n in args.workers for lib in args.libraries]
    text = _table_markdown(results, args)
    if not args.quick:
        args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
