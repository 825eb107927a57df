"""The measuring process: ``python -m benchmarks.training.child SPEC.json RESULT.json``.

The parent (``benchmarks.training.run``) starts one fresh interpreter per measurement, so the peak
RSS read here (``VmHWM`` of /proc/self/status, right after the fit, before the test set is even
loaded) belongs to that one fit: interpreter + library import + training data + a tiny warm-up
fit + the measured fit.

Modes (``spec["mode"]``):

* ``fit``: load the training arrays, import the library, warm up (a 2-round fit on a small
  subsample, so one-time costs such as treeboost's loading of compiled kernels or thread-pool
  start-up are not in the figure), time Dataset construction + training, read peak RSS; then load
  the test set, time prediction (median of ``predict_repeats`` calls after one warm call) and
  optionally 1-row latency, and compute the test metric.
* ``coldstart``: time ``import``, the first fit and first predict, then a second fit/predict in
  the same process; no warm-up. treeboost's numba cache directory is set by the parent
  (``NUMBA_CACHE_DIR``) to an empty or an already filled directory.
* ``prime``: compile (or load) treeboost's kernels for the listed configurations, so that the
  measured children find a filled cache.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import statistics
import sys
import time
import traceback
from typing import Any

import numpy as np

from ..common import libs


def _peak_rss_mib() -> float:
    # VmHWM is this address space's high-water mark. getrusage's ru_maxrss is not usable here: Linux
    # carries it across fork and exec, so a child started by a parent that once held a large
    # data set would report the parent's peak.
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _current_rss_mib() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def _load(files: dict[str, Any], dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """Features (stored as float32) in ``dtype``, converted before any timing, as a user whose
    data is float64 already has it; labels."""
    X = np.load(files["X"])
    return (X if X.dtype == dtype else X.astype(dtype)), np.load(files["y"])


def _subsample(X: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    if X.shape[0] <= n:
        return X, y
    idx = np.linspace(0, X.shape[0] - 1, n).astype(np.int64)
    return np.ascontiguousarray(X[idx]), np.ascontiguousarray(y[idx])


def _cache_entries() -> int:
    """Files in numba's cache directory (a rise during warm-up means kernels were compiled)."""
    root = os.environ.get("NUMBA_CACHE_DIR")
    if not root or not os.path.isdir(root):
        return 0
    return sum(len(files) for _, _, files in os.walk(root))


def _warm(lib: str, task: str, common: dict[str, Any], X: np.ndarray, y: np.ndarray) -> float:
    t0 = time.perf_counter()
    Xw, yw = _subsample(X, y, 20_000)
    model = libs.fit(lib, task, {**common, "rounds": 2}, Xw, yw)
    libs.predict(lib, task, model, Xw[:100], common["n_jobs"])
    libs.predict(lib, task, model, Xw[:1], common["n_jobs"])
    del model, Xw, yw
    gc.collect()
    return time.perf_counter() - t0


def run_fit(spec: dict[str, Any]) -> dict[str, Any]:
    lib, task, common = spec["lib"], spec["task"], spec["common"]
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    libs.import_library(lib)
    out["import_s"] = time.perf_counter() - t0
    out["version"] = libs.library_version(lib)
    X, y = _load(spec["train"], common.get("dtype", "float32"))
    if spec.get("warmup", True):
        before = _cache_entries()
        out["warmup_s"] = _warm(lib, task, common, X, y)
        if lib == "treeboost":
            out["warmup_new_cache_files"] = _cache_entries() - before
    gc.collect()
    out["rss_before_fit_mib"] = _current_rss_mib()
    t0 = time.perf_counter()
    model = libs.fit(lib, task, common, X, y)
    # A loop of fits (a tuning or selection run): each fit its own seed, fit_s the total.
    for i in range(1, int(spec.get("loop_fits", 1))):
        model = libs.fit(lib, task, {**common, "seed": common["seed"] + i}, X, y)
    out["fit_s"] = time.perf_counter() - t0
    out["peak_rss_mib"] = _peak_rss_mib()
    del X, y
    gc.collect()

    if spec.get("test") is not None:
        Xt, yt = _load(spec["test"], common.get("dtype", "float32"))
        n_jobs = common["n_jobs"]
        libs.predict(lib, task, model, Xt[:100], n_jobs)  # warm call
        times = []
        pred = None
        for _ in range(max(1, int(spec.get("predict_repeats", 1)))):
            t0 = time.perf_counter()
            pred = libs.predict(lib, task, model, Xt, n_jobs)
            times.append(time.perf_counter() - t0)
        out["predict_s"] = statistics.median(times)
        out["predict_all_s"] = times
        out["predict_rows"] = int(Xt.shape[0])
        out["metric"] = libs.metric(task, yt, pred, common.get("num_class", 0))
        if spec.get("latency_calls"):
            row = np.ascontiguousarray(Xt[:1])
            lat = []
            for _ in range(int(spec["latency_calls"])):
                t0 = time.perf_counter()
                libs.predict(lib, task, model, row, n_jobs)
                lat.append(time.perf_counter() - t0)
            out["latency_1row_s"] = statistics.median(lat)
    return out


def run_coldstart(spec: dict[str, Any]) -> dict[str, Any]:
    lib, task, common = spec["lib"], spec["task"], spec["common"]
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    libs.import_library(lib)
    out["import_s"] = time.perf_counter() - t0
    out["version"] = libs.library_version(lib)
    X, y = _load(spec["train"])
    n_jobs = common["n_jobs"]
    for attempt in ("first", "second"):
        t0 = time.perf_counter()
        model = libs.fit(lib, task, common, X, y)
        out[f"{attempt}_fit_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        pred = libs.predict(lib, task, model, X, n_jobs)
        out[f"{attempt}_predict_s"] = time.perf_counter() - t0
        if attempt == "first":
            out["peak_rss_mib"] = _peak_rss_mib()
    out["metric_train"] = libs.metric(task, y, pred, common.get("num_class", 0))
    return out


def run_prime(spec: dict[str, Any]) -> dict[str, Any]:
    """Fill treeboost's numba cache for every (task, common) configuration listed."""
    t0 = time.perf_counter()
    libs.import_library("treeboost")
    X, y = _load(spec["train"])
    for item in spec["configs"]:
        task, common = item["task"], item["common"]
        yy = y if task == "binary" else (
            (X[:, 0] > 0).astype(np.float64) * 2 + (X[:, 1] > 0) if task == "multiclass"
            else X[:, 2].astype(np.float64))
        _warm("treeboost", task, {**common, "num_class": 4} if task == "multiclass" else common,
              X, np.nan_to_num(yy))
    return {"prime_s": time.perf_counter() - t0}


MODES = {"fit": run_fit, "coldstart": run_coldstart, "prime": run_prime}


def main(argv: list[str]) -> int:
    if len(argv) != 3:  # started by hand: say what it expects rather than fail on argv[1]
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 0 if argv[1:2] in (["-h"], ["--help"]) else 2
    spec_path, result_path = argv[1], argv[2]
    with open(spec_path) as fh:
        spec = json.load(fh)
    try:
        result = MODES[spec["mode"]](spec)
        result["ok"] = True
        code = 0
    except BaseException as exc:  # noqa: BLE001 - report every failure to the parent
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc()}
        code = 1
    result["child_peak_rss_mib"] = _peak_rss_mib()
    with open(result_path, "w") as fh:
        json.dump(result, fh)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
