"""Sparse input: treeboost, XGBoost and LightGBM on the same scipy.sparse CSR matrix.

A bag-of-words-like binary task: every row holds about 100 stored counts among ``n_features``
columns (0.1% non-zeros at 100,000 columns), columns drawn with Zipf-like popularity, the label
a logistic function of the counts of 300 popular columns plus one interaction. Every library
gets the same CSR matrix; none densifies it (a dense 100,000 x 100,000 float64 matrix would take
80 GB). Each measurement runs in a fresh process: load the matrix, import the library, warm up
on 2,000 rows, then time data construction + training, read the peak resident set (VmHWM), and
time prediction on the test rows. A second table keeps the non-zeros fixed and widens the
matrix, to show treeboost's memory follows the non-zeros, not rows x columns.

XGBoost reads absent entries as missing and treeboost as zeros; with positive counts either
reading gives the same splits (absent goes one way, any count the other), so the test AUCs
are comparable.

Run: ``python -m benchmarks.sparse.run [--repeats 3] [--rounds 100]``; writes
``benchmarks/sparse/RESULTS.md``.
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

from ..common.data import DATA_DIR as CACHE
from ..common.report import machine_info

MODULE = "benchmarks.sparse.run"  # how each measurement starts this file again, as a child
OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"
N_TRAIN, N_TEST, NNZ_PER_ROW = 100_000, 20_000, 100
LIBS = ("treeboost", "xgboost", "lightgbm")
WIDTHS = (10_000, 100_000, 300_000)


def make_sparse(n_rows: int, n_features: int, nnz_per_row: int, seed: int = 0):
    """(CSR counts, binary labels), deterministic in the arguments."""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    popularity = 1.0 / (np.arange(n_features) + 20.0) ** 1.05
    popularity /= popularity.sum()
    order = rng.permutation(n_features)
    p = np.empty(n_features)
    p[order] = popularity
    cols = rng.choice(n_features, size=n_rows * nnz_per_row, p=p).astype(np.int32)
    rows = np.repeat(np.arange(n_rows, dtype=np.int32), nnz_per_row)
    X = sp.csr_matrix((np.ones(cols.size), (rows, cols)), shape=(n_rows, n_features))
    X.sum_duplicates()
    top = X[:, order[:300]].toarray()
    logit = np.log1p(top) @ (0.8 * rng.normal(size=300))
    logit += 0.8 * np.log1p(top[:, 0]) * np.log1p(top[:, 1]) - 0.5
    y = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float64)
    return X, y


def data_path(n_features: int) -> Path:
    path = CACHE / f"sparse-{N_TRAIN + N_TEST}x{n_features}-{NNZ_PER_ROW}.npz"
    if not path.exists():
        import scipy.sparse as sp

        CACHE.mkdir(parents=True, exist_ok=True)
        X, y = make_sparse(N_TRAIN + N_TEST, n_features, NNZ_PER_ROW)
        sp.save_npz(path, X)
        np.save(path.with_suffix(".y.npy"), y)
    return path


def _status(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _fit_predict(lib: str, X, y, rounds: int):
    """Returns (train, predict) callables for ``lib`` with equivalent parameters."""
    if lib == "treeboost":
        import treeboost as tb

        params = {
            "objective": "binary:logistic",
            "max_depth": 6,
            "learning_rate": 0.1,
            "max_bin": 256,
            "n_jobs": 2,
        }

        def train(Xt, yt, n_rounds=rounds):
            return tb.train(params, tb.Dataset(Xt, yt, max_bin=256), n_rounds)

        return train, lambda model, Xp: model.predict(Xp)
    if lib == "xgboost":
        import xgboost as xgb

        params = {
            "objective": "binary:logistic",
            "max_depth": 6,
            "eta": 0.1,
            "max_bin": 256,
            "tree_method": "hist",
            "nthread": 2,
        }

        def train(Xt, yt, n_rounds=rounds):
            return xgb.train(params, xgb.DMatrix(Xt, label=yt, nthread=2), n_rounds)

        return train, lambda model, Xp: model.predict(xgb.DMatrix(Xp, nthread=2))
    import lightgbm as lgb

    params = {
        "objective": "binary",
        "max_depth": 6,
        "num_leaves": 64,
        "learning_rate": 0.1,
        "max_bin": 255,
        "min_sum_hessian_in_leaf": 1.0,
        "num_threads": 2,
        "verbose": -1,
    }

    def train(Xt, yt, n_rounds=rounds):
        return lgb.train(params, lgb.Dataset(Xt, label=yt), n_rounds)

    return train, lambda model, Xp: model.predict(Xp, num_threads=2)


def child(spec: dict) -> dict:
    import scipy.sparse as sp
    from sklearn.metrics import roc_auc_score

    path = Path(spec["path"])
    X = sp.load_npz(path).tocsr()
    y = np.load(path.with_suffix(".y.npy"))
    Xtr, ytr, Xte, yte = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]
    del X
    train, predict = _fit_predict(spec["lib"], Xtr, ytr, spec["rounds"])
    train(Xtr[:2000], ytr[:2000], 2)  # warm-up: compiled code loaded, thread pools started
    rss_before = _status("VmRSS")
    t = time.perf_counter()
    model = train(Xtr, ytr)
    fit_s = time.perf_counter() - t
    peak = _status("VmHWM")
    predict(model, Xte)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        p = predict(model, Xte)
        times.append(time.perf_counter() - t)
    return {
        "fit_s": fit_s,
        "predict_s": statistics.median(times),
        "peak_mib": peak,
        "rss_before_mib": rss_before,
        "nnz": int(Xtr.nnz),
        "input_mib": (Xtr.data.nbytes + Xtr.indices.nbytes + Xtr.indptr.nbytes) / 2**20,
        "auc": float(roc_auc_score(yte, p)),
    }


def run_child(spec: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", MODULE, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "2"},
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog=f"python -m {MODULE}", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: one measurement
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    started = time.time()
    libs = [lib for lib in LIBS if _importable(lib)]
    path = data_path(100_000)
    runs: dict[str, list[dict]] = {lib: [] for lib in libs}
    for repeat in range(args.repeats):
        for lib in libs:  # alternate libraries within each repeat
            result = run_child({"lib": lib, "path": str(path), "rounds": args.rounds})
            print(f"repeat {repeat} {lib}: {result}", file=sys.stderr)
            if "error" not in result:
                runs[lib].append(result)
    width_runs: dict[tuple[str, int], dict] = {}
    for n_features in WIDTHS:
        for lib in [lib for lib in ("treeboost", "xgboost") if lib in libs]:
            spec = {"lib": lib, "path": str(data_path(n_features)), "rounds": args.rounds}
            result = run_child(spec)
            print(f"width {n_features} {lib}: {result}", file=sys.stderr)
            width_runs[(lib, n_features)] = result
    write_report(args, runs, width_runs, time.time() - started)


def _importable(lib: str) -> bool:
    try:
        __import__(lib)
    except ImportError:
        return False
    return True


def write_report(args, runs: dict, width_runs: dict, seconds: float) -> None:
    info = machine_info()
    ok = {lib: r for lib, r in runs.items() if r}
    base = ok.get("treeboost")
    lines = [
        "# Sparse input",
        "",
        f"Written by `python -m {MODULE} --repeats {args.repeats} --rounds "
        f"{args.rounds}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{seconds:.0f} s.",
        "",
        f"{N_TRAIN:,} training rows x 100,000 columns, about {NNZ_PER_ROW} stored counts per "
        f"row (0.1% non-zeros), {N_TEST:,} test rows; binary:logistic, depth 6, learning rate "
        f"0.1, 256 bins, {args.rounds} rounds, 2 threads. Fit seconds include building the "
        "library's data structure from the CSR matrix. Peak RSS is the process's high-water "
        "mark after the fit: interpreter, library, the loaded CSR train and test matrices, and "
        "training. Medians of the repeats; ratios are the library's figure over treeboost's.",
        "",
        "| library | fit s | ratio | predict s (20,000 rows) | ratio | peak RSS MiB | "
        "RSS before fit MiB | test AUC |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for lib, r in ok.items():
        fit, pred, peak = _median(r, "fit_s"), _median(r, "predict_s"), _median(r, "peak_mib")
        fit_ratio = fit / _median(base, "fit_s") if base else float("nan")
        pred_ratio = pred / _median(base, "predict_s") if base else float("nan")
        lines.append(
            f"| {lib} | {fit:.2f} | {fit_ratio:.2f} | {pred:.3f} | {pred_ratio:.2f} | "
            f"{peak:.0f} | {_median(r, 'rss_before_mib'):.0f} | {_median(r, 'auc'):.4f} |"
        )
    lines += [
        "",
        "## Memory follows the non-zeros",
        "",
        "One run each: the same rows and stored values per row, the matrix ever wider. Rows x "
        "columns grows 30-fold. Memory beyond the input is the binned copy (proportional to "
        "the non-zeros) plus the node histograms, which hold a few bins per column.",
        "",
        "| library | columns | stored values | CSR input MiB | dense float64 would be GiB | "
        "fit s | peak RSS MiB | test AUC |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for (lib, n_features), r in width_runs.items():
        if "error" in r:
            lines.append(f"| {lib} | {n_features:,} | failed: {r['error']} | | | | | |")
            continue
        dense_gib = N_TRAIN * n_features * 8 / 2**30
        lines.append(
            f"| {lib} | {n_features:,} | {r['nnz']:,} | {r['input_mib']:.0f} | "
            f"{dense_gib:,.0f} | {r['fit_s']:.2f} | {r['peak_mib']:.0f} | {r['auc']:.4f} |"
        )
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    lines += ["", f"Machine: {info['cpu_model']}, {info['usable_cores']} cores. {versions}."]
    # Notes written by hand after a run (a "## Reading the tables" section) are kept.
    out = args.output
    previous = out.read_text() if out.exists() else ""
    marker = "\n## Reading the tables"
    notes = previous[previous.index(marker) :] if marker in previous else ""
    out.write_text("\n".join(lines) + "\n" + notes)


if __name__ == "__main__":
    main()
