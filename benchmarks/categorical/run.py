"""Native categorical splits against one-hot and ordinal encodings, on data whose signal is in a
high-cardinality category; XGBoost and LightGBM with their own native categorical support for
reference. Writes ``benchmarks/categorical/RESULTS.md``.

Run: ``python -m benchmarks.categorical.run [--output PATH]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import treeboost as tb

from ..common.report import machine_info

OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"

N_TRAIN, N_TEST, ROUNDS = 40_000, 20_000, 200
PARAMS = {"max_depth": 6, "learning_rate": 0.1}


def make_data(k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_TEST
    # Zipf-like category frequencies: a few common categories and a long tail of rare ones.
    freq = 1.0 / np.arange(1, k + 1) ** 0.8
    codes = rng.choice(k, size=n, p=freq / freq.sum())
    effect = rng.normal(size=k) * 1.5
    x = rng.normal(size=(n, 4))
    y = effect[codes] + x[:, 0] - 0.5 * x[:, 1] * x[:, 2] + rng.normal(size=n)
    return codes, x, y


def rmse(a, b) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def run(k: int, rounds: int = ROUNDS) -> list[tuple[str, float, float]]:
    import pandas as pd

    codes, x, y = make_data(k)
    tr, te = slice(0, N_TRAIN), slice(N_TRAIN, None)
    out = []
    frame = pd.DataFrame({"c": pd.Categorical(codes), **{f"x{i}": x[:, i] for i in range(4)}})
    t = time.perf_counter()
    native = tb.train(PARAMS, tb.Dataset(frame.iloc[tr], label=y[tr]), rounds)
    out.append(
        ("treeboost native", time.perf_counter() - t, rmse(native.predict(frame.iloc[te]), y[te]))
    )
    X = np.column_stack([codes.astype(float), x])
    t = time.perf_counter()
    ordinal = tb.train(PARAMS, tb.Dataset(X[tr], label=y[tr]), rounds)
    out.append(
        ("treeboost ordinal codes", time.perf_counter() - t, rmse(ordinal.predict(X[te]), y[te]))
    )
    onehot = np.column_stack([np.eye(k, dtype=np.float32)[codes], x.astype(np.float32)])
    t = time.perf_counter()
    oh = tb.train(PARAMS, tb.Dataset(onehot[tr], label=y[tr]), rounds)
    out.append(("treeboost one-hot", time.perf_counter() - t, rmse(oh.predict(onehot[te]), y[te])))
    try:
        import xgboost as xgb

        t = time.perf_counter()
        model = xgb.train(
            {**{"max_depth": 6, "eta": 0.1}, "tree_method": "hist", "nthread": 2},
            xgb.DMatrix(frame.iloc[tr], label=y[tr], enable_categorical=True),
            rounds,
        )
        seconds = time.perf_counter() - t
        pred = model.predict(xgb.DMatrix(frame.iloc[te], enable_categorical=True))
        out.append(("XGBoost native", seconds, rmse(pred, y[te])))
    except ImportError:
        pass
    try:
        import lightgbm as lgb

        t = time.perf_counter()
        model = lgb.train(
            {
                "max_depth": 6,
                "num_leaves": 63,
                "learning_rate": 0.1,
                "verbose": -1,
                "num_threads": 2,
            },
            lgb.Dataset(frame.iloc[tr], label=y[tr]),
            rounds,
        )
        seconds = time.perf_counter() - t
        out.append(("LightGBM native", seconds, rmse(model.predict(frame.iloc[te]), y[te])))
    except ImportError:
        pass
    return out


def main(argv: list[str] | None = None) -> None:
    # A parser even for one option, so that --help prints usage instead of starting the run.
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.categorical.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    lines = [
        "# Categorical features: native splits against encodings",
        "",
        f"Regression, {N_TRAIN} training and {N_TEST} test rows; the target depends on one",
        "categorical feature with `k` categories (Zipf-like frequencies, random effect per",
        "category) plus 4 numeric features. Depth 6, learning rate 0.1, "
        f"{ROUNDS} rounds, 2 threads. Seconds include the binning of the training data; every",
        "model is first fitted once at 2 rounds, so imports and first-call costs are not timed.",
        "One fit per figure: timings are indicative, the test RMSE is the point.",
        "",
        "| k | model | fit s | test RMSE |",
        "|---:|---|---:|---:|",
    ]
    # Every model once at 2 rounds first: imports, numba's cached kernels and the libraries'
    # own first-call costs are not in the timed fits.
    run(50, rounds=2)
    for k in (50, 500, 2000):
        for name, seconds, score in run(k):
            print(f"k={k:5d} {name:26s} {seconds:7.2f}s  rmse {score:.4f}")
            lines.append(f"| {k} | {name} | {seconds:.2f} | {score:.4f} |")
    info = machine_info()
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    lines += ["", f"Machine: {info['cpu_model']}, {info['usable_cores']} cores. {versions}."]
    args.output.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
