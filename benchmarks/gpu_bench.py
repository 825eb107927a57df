"""treeboost ``device="cuda"`` against XGBoost ``device="cuda"`` (and LightGBM's CUDA learner
where its wheel was built with it) on one synthetic binary table: fit time, predict time, AUC.

    python -m benchmarks.gpu_bench                 # 10,000,000 x 28, 100 rounds, depth 6
    python -m benchmarks.gpu_bench --rows 1000000  # a quicker look

Every library grows depth-6 trees (at most 64 leaves; LightGBM: 63 leaves, depth 6) with 256
bins, learning rate 0.1, 100 rounds. Fit time includes building each library's binned matrix
(treeboost's Dataset bins on the CPU; XGBoost's QuantileDMatrix on the GPU). Each library first
fits a small table once, outside the timings, so JIT compilation (numba) and CUDA context
creation are not counted; the table reports that warm-up apart. Prints a markdown table; exits
with a message, having measured nothing, when no CUDA GPU is visible. Sized to finish in under
five minutes on one H100.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

WARMUP_ROWS = 20_000


def gpu_present() -> tuple[bool, str]:
    try:
        from numba import cuda
    except Exception as exc:  # numba is a treeboost dependency; a broken install says why
        return False, f"numba.cuda could not be imported ({exc})"
    if not cuda.is_available():
        return False, "numba.cuda.is_available() is False"
    try:
        name = cuda.get_current_device().name
    except AttributeError:  # numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)
        return True, "numba CUDA simulator"
    return True, name.decode() if isinstance(name, bytes) else str(name)


def make_data(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A Higgs-like binary task: a noisy logistic function of a few interactions, float32."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, m), dtype=np.float32)
    coef = np.random.default_rng(12345).normal(size=m).astype(np.float32)
    z = X @ coef * 0.3 + X[:, 0] * X[:, 1] - np.abs(X[:, 2]) + 0.5 * np.sin(3 * X[:, 3])
    y = (rng.random(n, dtype=np.float32) < 1.0 / (1.0 + np.exp(-z))).astype(np.float64)
    return X, y


def auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def run_treeboost(X, y, Xt, rounds):
    import treeboost as tb

    params = {
        "objective": "binary:logistic",
        "device": "cuda",
        "max_depth": 6,
        "learning_rate": 0.1,
        "max_bin": 256,
    }
    start = time.perf_counter()
    booster = tb.train(params, tb.Dataset(X, label=y, max_bin=256), rounds)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    pred = booster.predict(Xt, device="cuda")
    return fit, time.perf_counter() - start, pred


def run_xgboost(X, y, Xt, rounds):
    import xgboost as xgb

    if not xgb.build_info().get("USE_CUDA"):
        # The xgboost-cpu wheel accepts device="cuda" and quietly trains on the CPU.
        raise RuntimeError("this xgboost build has no CUDA support (install the xgboost wheel)")
    params = {
        "objective": "binary:logistic",
        "device": "cuda",
        "tree_method": "hist",
        "max_depth": 6,
        "learning_rate": 0.1,
        "max_bin": 256,
    }
    start = time.perf_counter()
    booster = xgb.train(params, xgb.QuantileDMatrix(X, label=y, max_bin=256), rounds)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    pred = booster.inplace_predict(Xt)
    pred = pred.get() if hasattr(pred, "get") else np.asarray(pred)  # cupy on some versions
    return fit, time.perf_counter() - start, pred


def run_lightgbm(X, y, Xt, rounds):
    import lightgbm as lgb

    params = {
        "objective": "binary",
        "device_type": "cuda",
        "num_leaves": 63,
        "max_depth": 6,
        "learning_rate": 0.1,
        "max_bin": 255,
        "verbose": -1,
    }
    start = time.perf_counter()
    booster = lgb.train(params, lgb.Dataset(X, label=y), rounds)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    pred = booster.predict(Xt)
    return fit, time.perf_counter() - start, pred


RUNNERS = {"treeboost": run_treeboost, "xgboost": run_xgboost, "lightgbm": run_lightgbm}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--test-rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=28)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--libs", nargs="+", default=list(RUNNERS), choices=list(RUNNERS))
    args = parser.parse_args(argv)

    present, device = gpu_present()
    if not present:
        print(f"gpu_bench: no CUDA GPU found ({device}); nothing measured.")
        return 0

    X, y = make_data(args.rows, args.features, seed=1)
    Xt, yt = make_data(args.test_rows, args.features, seed=2)
    Xw, yw = X[:WARMUP_ROWS], y[:WARMUP_ROWS]
    rows = []
    for name in args.libs:
        try:
            start = time.perf_counter()
            RUNNERS[name](Xw, yw, Xw, 2)
            warmup = time.perf_counter() - start
            fit, predict, pred = RUNNERS[name](X, y, Xt, args.rounds)
            rows.append((name, f"{fit:.2f}", f"{predict:.3f}", f"{auc(yt, pred):.5f}",
                         f"{warmup:.1f}"))  # fmt: skip
        except Exception as exc:  # a library without CUDA support: say so in its row
            message = str(exc).strip().splitlines()[0][:90] if str(exc).strip() else repr(exc)
            rows.append((name, "-", "-", "-", f"not run: {type(exc).__name__}: {message}"))
    print(
        f"\n{args.rows:,} x {args.features} binary, {args.rounds} rounds, depth 6, 256 bins; "
        f"test {args.test_rows:,} rows; {device}\n"
    )
    print("| library | fit (s) | predict (s) | test AUC | warm-up (s) |")
    print("| :--- | ---: | ---: | ---: | :--- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
