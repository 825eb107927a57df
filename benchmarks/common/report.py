"""Machine description (used by several benchmarks) and the side-by-side training report
(``benchmarks/training/RESULTS.md``, written by ``benchmarks.training.run``)."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
import subprocess
from importlib import metadata
from typing import Any

from .data import BENCH_DIR
from .libs import LABELS, METRIC_MAXIMIZE, METRIC_NAMES

DIST_NAMES = {"treeboost": ("treeboost",), "XGBoost": ("xgboost", "xgboost-cpu"),
              "LightGBM": ("lightgbm",), "scikit-learn": ("scikit-learn",),
              "numpy": ("numpy",), "numba": ("numba",), "llvmlite": ("llvmlite",)}


def _cpu_model() -> str:
    models: list[str] = []
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    if name not in models:
                        models.append(name)
    except OSError:
        pass
    return ", ".join(models) or platform.processor() or "unknown"


def _version(names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def _git_state() -> str:
    root = BENCH_DIR.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    return f"{head} + uncommitted changes in src/" if dirty else head


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_model": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {label: _version(names) for label, names in DIST_NAMES.items()},
        "treeboost_git": _git_state(),
    }
    try:
        info["usable_cores"] = len(os.sched_getaffinity(0))
    except AttributeError:
        info["usable_cores"] = os.cpu_count()
    try:
        import psutil
        info["physical_cores"] = psutil.cpu_count(logical=False)
        info["memory_gib"] = psutil.virtual_memory().total / 2**30
    except ImportError:
        pass
    return info


# ------------------------------------------------------------------------------------------
# Number formatting
# ------------------------------------------------------------------------------------------

DASH = "—"


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get("ok") and r.get(key) is not None]
    return statistics.median(values) if values else None


def _sig(x: float | None) -> str:
    """3 significant figures, never scientific notation."""
    if x is None:
        return DASH
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    if ax >= 0.1:
        return f"{x:.3f}"
    if ax >= 0.01:
        return f"{x:.4f}"
    return f"{x:.5f}"


def _mib(x: float | None) -> str:
    return DASH if x is None else f"{x:,.0f}"


def _ratio(x: float | None, base: float | None, digits: int = 2) -> str:
    if x is None or base is None or base == 0:
        return DASH
    return f"{x / base:.{digits}f}"


def _metric(x: float | None) -> str:
    return DASH if x is None else f"{x:.4f}"


def _table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _failures(case: dict[str, Any], label: str) -> list[str]:
    out = []
    for lib, runs in case["runs"].items():
        for i, r in enumerate(runs):
            if r.get("compiled_before_rerun") and not r.get("shared"):
                out.append(f"{label} / {LABELS.get(lib, lib)} / repeat {i + 1}: treeboost "
                           f"compiled kernels in the warm-up (its source changed during the "
                           f"run); the measurement was taken by a second child")
            if r.get("warmup_new_cache_files"):
                out.append(f"{label} / {LABELS.get(lib, lib)} / repeat {i + 1}: treeboost "
                           f"compiled kernels during the warm-up, twice (its source keeps "
                           f"changing?); the compiler's memory is in this child's peak RSS")
            if not r.get("ok"):
                err = str(r.get("error", "unknown error")).strip().replace("\n", " ")
                out.append(f"{label} / {LABELS.get(lib, lib)} / repeat {i + 1}: {err[:300]}")
    return out


# ------------------------------------------------------------------------------------------
# Workload tables
# ------------------------------------------------------------------------------------------

def _standard(wl: dict[str, Any]) -> str:
    multi = len(wl["cases"]) > 1
    header = (["data"] if multi else []) + [
        "library", "fit s", "fit ×", "predict s", "predict ×", "peak RSS MiB", "RSS ×",
        "RSS before fit MiB", "metric", "metric value", "metric ×"]
    rows = []
    for case in wl["cases"]:
        task = case["task"]
        base = case["runs"].get("treeboost", [])
        b_fit, b_pred = _median(base, "fit_s"), _median(base, "predict_s")
        b_rss, b_met = _median(base, "peak_rss_mib"), _median(base, "metric")
        for lib in case["libraries"]:
            runs = case["runs"][lib]
            fit, pred = _median(runs, "fit_s"), _median(runs, "predict_s")
            rss, met = _median(runs, "peak_rss_mib"), _median(runs, "metric")
            row = ([case["label"]] if multi else []) + [
                LABELS[lib], _sig(fit), _ratio(fit, b_fit), _sig(pred), _ratio(pred, b_pred),
                _mib(rss), _ratio(rss, b_rss), _mib(_median(runs, "rss_before_fit_mib")),
                METRIC_NAMES[task], _metric(met), _ratio(met, b_met, 4)]
            rows.append(row)
    align = (["l"] if multi else []) + ["l"] + ["r"] * 7 + ["l", "r", "r"]
    return _table(header, rows, align)


def _scaling(wl: dict[str, Any]) -> str:
    libs = wl["cases"][0]["libraries"] if wl["cases"] else []
    header = ["train rows"]
    for lib in libs:
        header.append(f"{LABELS[lib]} fit s")
        if lib != "treeboost":
            header.append(f"{LABELS[lib]} ×")
    header += [f"{LABELS[lib]} peak RSS MiB" for lib in libs]
    if "treeboost" in libs:
        header.append("treeboost s per 1M rows")
    rows = []
    for case in wl["cases"]:
        base = _median(case["runs"].get("treeboost", []), "fit_s")
        row = [case["label"]]
        for lib in libs:
            fit = _median(case["runs"][lib], "fit_s")
            row.append(_sig(fit))
            if lib != "treeboost":
                row.append(_ratio(fit, base))
        row += [_mib(_median(case["runs"][lib], "peak_rss_mib")) for lib in libs]
        if "treeboost" in libs:
            n = case["train"]["n_rows"]
            row.append(_sig(base / n * 1e6) if base is not None else DASH)
        rows.append(row)
    return _table(header, rows)


def _threads(wl: dict[str, Any]) -> str:
    by_jobs = {case["common"]["n_jobs"]: case for case in wl["cases"]}
    jobs = sorted(by_jobs)
    libs = wl["cases"][0]["libraries"] if wl["cases"] else []
    header = ["library"]
    header += [f"fit s, n_jobs={j}" for j in jobs]
    header += [f"fit × (n_jobs={j})" for j in jobs]
    if len(jobs) == 2:
        header.append(f"speed-up {jobs[0]}→{jobs[1]}")
    header += [f"predict s, n_jobs={j}" for j in jobs]
    rows = []
    for lib in libs:
        fits = {j: _median(by_jobs[j]["runs"].get(lib, []), "fit_s") for j in jobs}
        base = {j: _median(by_jobs[j]["runs"].get("treeboost", []), "fit_s") for j in jobs}
        preds = {j: _median(by_jobs[j]["runs"].get(lib, []), "predict_s") for j in jobs}
        row = [LABELS[lib]] + [_sig(fits[j]) for j in jobs]
        row += [_ratio(fits[j], base[j]) for j in jobs]
        if len(jobs) == 2:
            row.append(_ratio(fits[jobs[0]], fits[jobs[1]]))
        row += [_sig(preds[j]) for j in jobs]
        rows.append(row)
    return _table(header, rows)


def _predict(wl: dict[str, Any]) -> str:
    case = wl["cases"][0]
    base = case["runs"].get("treeboost", [])
    b_pred, b_lat = _median(base, "predict_s"), _median(base, "latency_1row_s")
    n = case["test"]["n_rows"]
    header = ["library", f"predict {n:,} rows s", "predict ×", "M rows/s", "1-row latency ms",
              "latency ×", METRIC_NAMES[case["task"]]]
    rows = []
    for lib in case["libraries"]:
        runs = case["runs"][lib]
        pred, lat = _median(runs, "predict_s"), _median(runs, "latency_1row_s")
        rows.append([LABELS[lib], _sig(pred), _ratio(pred, b_pred),
                     _sig(n / pred / 1e6) if pred else DASH,
                     _sig(lat * 1e3) if lat is not None else DASH, _ratio(lat, b_lat),
                     _metric(_median(runs, "metric"))])
    return _table(header, rows)


COLD_LABELS = {"treeboost-empty": "treeboost, empty numba cache",
               "treeboost-warm": "treeboost, filled numba cache",
               "xgboost": "XGBoost", "lightgbm": "LightGBM", "sklearn": "scikit-learn HGB"}


def _coldstart(wl: dict[str, Any]) -> str:
    case = wl["cases"][0]

    def total(runs: list[dict[str, Any]]) -> float | None:
        values = [r["import_s"] + r["first_fit_s"] + r["first_predict_s"]
                  for r in runs if r.get("ok")]
        return statistics.median(values) if values else None

    base = total(case["runs"].get("treeboost-warm", []))
    header = ["library", "import s", "first fit s", "first predict s",
              "import + fit + predict s", "× (treeboost, filled cache)", "second fit s",
              "second predict s", "process wall s", "peak RSS MiB"]
    rows = []
    for key in case["libraries"]:
        runs = case["runs"][key]
        if not runs:
            continue
        rows.append([COLD_LABELS[key], _sig(_median(runs, "import_s")),
                     _sig(_median(runs, "first_fit_s")), _sig(_median(runs, "first_predict_s")),
                     _sig(total(runs)), _ratio(total(runs), base),
                     _sig(_median(runs, "second_fit_s")), _sig(_median(runs, "second_predict_s")),
                     _sig(_median(runs, "wall_s")), _mib(_median(runs, "peak_rss_mib"))])
    return _table(header, rows)


RENDERERS = {"standard": _standard, "scaling": _scaling, "threads": _threads,
             "predict": _predict, "coldstart": _coldstart}


def _params_section(results: dict[str, Any]) -> str:
    seen: dict[str, dict[str, Any]] = {}
    for wl in results["workloads"]:
        if wl["kind"] != "standard":
            continue
        for case in wl["cases"]:
            c = case["common"]
            shape = (f"leaf-wise, {c['max_leaves']} leaves" if c["policy"] == "lossguide"
                     else f"depth-wise, depth {c['max_depth']}")
            key = (f"{case['task']}, {shape}, {c['rounds']} rounds, "
                   f"learning rate {c['learning_rate']}")
            seen.setdefault(key, case)
    if not seen:
        return ""
    lines = ["## Parameters passed to each library", "",
             "Exactly as handed over (`benchmarks/common/libs.py: library_params`); the rounds "
             "are in each heading (the cold start: 10). Dataset construction (treeboost `Dataset`, "
             "XGBoost `QuantileDMatrix`, LightGBM `Dataset`) is inside the timed fit.", ""]
    for key, case in seen.items():
        lines.append(f"**{key}**")
        lines.append("")
        for lib in case["libraries"]:
            params = ", ".join(f"{k}={v!r}" for k, v in case["params"][lib].items())
            lines.append(f"- {LABELS[lib]}: `{params}`")
        lines.append("")
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    mode = "quick" if meta["quick"] else "full"
    cmd = "python -m benchmarks.training.run" + ("".join(f" {a}" for a in meta["argv"]))
    date = meta["started"]
    try:
        date = _dt.datetime.fromisoformat(meta["started"]).strftime("%Y-%m-%d %H:%M %Z").strip()
    except ValueError:
        pass
    v = meta["versions"]
    load_b = ", ".join(f"{x:.2f}" for x in meta.get("load_before", ()))
    load_a = ", ".join(f"{x:.2f}" for x in meta.get("load_after", ()))
    out = [
        "# treeboost benchmarks",
        "",
        "Written by `benchmarks/training/run.py`; do not edit by hand. Rerun with `make bench` "
        "(quick mode) or `.venv/bin/python -m benchmarks.training.run` (full sizes, 3 "
        "repeats; roughly an hour on a quiet 2-core machine, an estimate); `--only NAME ...` "
        "runs some workloads, `--repeats N` sets the repeats. "
        "What each workload measures: `benchmarks/README.md`.",
        "",
        f"This run: `{cmd}` ({mode} mode, {meta['repeats']} repeat(s) per figure, "
        f"{meta['children']} child processes, {meta['duration_s'] / 60:.1f} min"
        f"{', INTERRUPTED: partial results' if meta.get('interrupted') else ''}).",
        "",
        "How to read the tables: every figure is the median over the repeats, each repeat a "
        "fresh child process running one fit, libraries alternated between repeats. "
        "**fit s** includes building the library's dataset object (binning) from the float32 "
        "array; **predict s** predicts the test set from raw floats; **peak RSS** is the child "
        "process's peak resident memory up to the end of the fit (interpreter + library + "
        "training arrays + fit; **RSS before fit** is the same process just before fitting). "
        "**×** columns are *library / treeboost*: for times and memory above 1 means the library "
        "needs more than treeboost; for AUC above 1 means the library is more accurate, for "
        "RMSE and log loss below 1 does. Fits are warm: each child first runs a 2-round fit on "
        "a 20,000-row subsample, so treeboost's kernels are loaded from numba's on-disk cache "
        "(filled once at the start of the run) before timing; first-use costs are in the cold "
        "start table.",
        "",
        "## Machine and versions",
        "",
        f"- Date: {date}",
        f"- CPU: {meta['cpu_model']}; {meta.get('usable_cores')} usable logical cores "
        f"({meta.get('physical_cores')} physical); "
        f"{meta.get('memory_gib', float('nan')):.1f} GiB memory; {meta['platform']}",
        f"- Load average (1, 5, 15 min) before: {load_b}; after: {load_a}. Other processes "
        f"running on the machine make timings noisy: compare ratios within one run.",
        f"- Python {meta['python']}; treeboost {v['treeboost']} (git {meta['treeboost_git']}), "
        f"XGBoost {v['XGBoost']}, LightGBM {v['LightGBM']}, scikit-learn {v['scikit-learn']}, "
        f"numpy {v['numpy']}, numba {v['numba']} (llvmlite {v['llvmlite']})",
        "- Threads: n_jobs=2 unless stated (XGBoost `nthread`, LightGBM `num_threads`, "
        "scikit-learn through OMP_NUM_THREADS); every child also gets OMP_NUM_THREADS and "
        "NUMBA_NUM_THREADS equal to its n_jobs"
        + (f"; and {', '.join(f'{k}={v}' for k, v in meta['extra_env'].items())}."
           if meta.get("extra_env") else "; OpenMP wait policy left at its default."),
    ]
    prime = meta.get("prime")
    if prime and prime.get("ok"):
        out.append(f"- treeboost kernel cache filled before the run in "
                   f"{prime['wall_s']:.0f} s (compiles only when the cache was empty or stale).")
    if meta.get("scale", 1.0) != 1.0:
        out.append(f"- Row counts scaled by {meta['scale']} (`--scale`): not the standard sizes.")
    out.append("")

    failures: list[str] = []
    for wl in results["workloads"]:
        out += [f"## {wl['title']}", "", f"`{wl['name']}`: {wl['description']}", ""]
        cases = wl.get("cases") or []
        if cases and any(case["libraries"] for case in cases):
            out += [RENDERERS[wl["kind"]](wl), ""]
            if wl["kind"] == "standard":
                tasks = {case["task"] for case in cases}
                better = [f"{METRIC_NAMES[t]}: {'higher' if METRIC_MAXIMIZE[t] else 'lower'} "
                          f"is better" for t in sorted(tasks)]
                out += ["; ".join(better) + ".", ""]
        else:
            out += ["No measurements.", ""]
        for note in wl.get("notes", []):
            out += [f"Note: {note}", ""]
        for case in cases:
            failures += _failures(case, f"{wl['name']} / {case['label']}")

    out += [
        "## Equivalences and caveats",
        "",
        "- Bins: 255 value bins everywhere (treeboost and XGBoost `max_bin=256`, which for "
        "treeboost counts the missing-value bin; LightGBM `max_bin=255`; scikit-learn "
        "`max_bins=255` plus its own missing bin). The bin edges differ by library (XGBoost "
        "sketches all rows, LightGBM and scikit-learn sample up to 200,000 rows).",
        "- Leaf size: treeboost and XGBoost `min_child_weight=1`; LightGBM "
        "`min_sum_hessian_in_leaf=1` and its default `min_data_in_leaf=20` (kept: setting it to "
        "0 is not what LightGBM users run); scikit-learn has no hessian limit and uses its "
        "default `min_samples_leaf=20`.",
        "- Depth-wise: LightGBM has no level-wise growth; it grows best-first with "
        "`num_leaves=64, max_depth=6`; scikit-learn likewise with `max_depth=6, "
        "max_leaf_nodes=None`. Leaf-wise: `max_leaves` / `num_leaves` / `max_leaf_nodes` "
        "equal (63 unless the workload says otherwise), no depth limit.",
        "- L2: `reg_lambda=1` / `lambda_l2=1` / `l2_regularization=1`; learning rate as in each "
        "workload (0.1 unless it says otherwise); scikit-learn `early_stopping=False`. Initial "
        "scores: each library's own default.",
        "- Peak RSS includes the training arrays (float32: 4 bytes x rows x features) and the "
        "library's import, identical inputs for every library.",
        "",
    ]
    params = _params_section(results)
    if params:
        out += [params]
    if failures:
        out += ["## Failures and warnings", ""] + [f"- {f}" for f in failures] + [""]
    return "\n".join(out).rstrip() + "\n"
