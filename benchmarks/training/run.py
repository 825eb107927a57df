"""Run the side-by-side training benchmark and write ``benchmarks/training/RESULTS.md``.

    python -m benchmarks.training.run [--quick] [--only NAME ...] [--repeats N]

Each measurement is a fresh child process (``python -m benchmarks.training.child``) with a
timeout; the libraries are alternated between repeats (repeat r starts with library r mod 4) so
slow drifts of a noisy machine do not always hit the same library. Figures are medians over the
repeats.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..common import data, report
from ..common.libs import LIBRARIES, library_params
from . import workloads

REPO_ROOT = data.BENCH_DIR.parent
NUMBA_CACHE = data.CACHE_DIR / "numba"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class ChildRunner:
    """Starts one child process per measurement, with a timeout, and memoizes identical specs."""

    def __init__(self, timeout: float, workdir: Path, extra_env: dict[str, str] | None = None):
        self.timeout = timeout
        self.extra_env = dict(extra_env or {})
        self.workdir = workdir
        self.count = 0
        self.memo: dict[str, dict[str, Any]] = {}
        self.current: subprocess.Popen | None = None

    def run(self, spec: dict[str, Any], *, repeat: int, n_jobs: int, cache_dir: Path,
            memo: bool = True) -> dict[str, Any]:
        """Run one child (or return the memoized result of an identical earlier one).

        A treeboost child whose warm-up had to compile kernels (the source changed since the
        cache was filled) is run once more: the compiler's memory would otherwise be in its
        peak RSS. The first attempt's compile count is kept in ``compiled_before_rerun``.
        """
        key = json.dumps([spec, repeat], sort_keys=True)
        if memo and key in self.memo:
            return {**self.memo[key], "shared": True}
        result = self._start(spec, n_jobs, cache_dir)
        if result.get("ok") and result.get("warmup_new_cache_files"):
            _log(f"  treeboost compiled {result['warmup_new_cache_files']} cache files in the "
                 f"warm-up; running this child again")
            first = result
            result = self._start(spec, n_jobs, cache_dir)
            result["compiled_before_rerun"] = first["warmup_new_cache_files"]
        if memo:
            self.memo[key] = result
        return result

    def _start(self, spec: dict[str, Any], n_jobs: int, cache_dir: Path) -> dict[str, Any]:
        self.count += 1
        tag = f"c{self.count:04d}"
        spec_path = self.workdir / f"{tag}.spec.json"
        result_path = self.workdir / f"{tag}.result.json"
        log_path = self.workdir / f"{tag}.log"
        spec_path.write_text(json.dumps(spec))
        env = dict(os.environ)
        threads = str(n_jobs)
        env.update({"OMP_NUM_THREADS": threads, "NUMBA_NUM_THREADS": threads,
                    "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads,
                    "NUMBA_CACHE_DIR": str(cache_dir), "PYTHONHASHSEED": "0"})
        env.update(self.extra_env)
        cmd = [sys.executable, "-m", "benchmarks.training.child", str(spec_path), str(result_path)]
        t0 = time.perf_counter()
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            self.current = proc
            try:
                proc.wait(timeout=self.timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
                self.kill_current()
            finally:
                self.current = None
        wall = time.perf_counter() - t0
        if timed_out:
            result = {"ok": False, "error": f"timeout after {self.timeout:.0f} s"}
        elif result_path.exists():
            result = json.loads(result_path.read_text())
        else:
            tail = log_path.read_text(errors="replace")[-600:]
            result = {"ok": False, "error": f"child exited with {proc.returncode}: {tail}"}
        result["wall_s"] = wall
        result["returncode"] = proc.returncode
        return result

    def kill_current(self) -> None:
        proc = self.current
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the child's own session: it and its threads
            except ProcessLookupError:
                pass
            proc.wait()


def _tick(progress: list[int], what: str, result: dict[str, Any]) -> None:
    progress[0] += 1
    _log(f"[{progress[0]}/{progress[1]}] {what}: {_describe(result)}")


def _rotated(items: tuple[str, ...], r: int) -> list[str]:
    r %= len(items)
    return list(items[r:]) + list(items[:r])


def _describe(result: dict[str, Any]) -> str:
    if not result.get("ok"):
        return f"FAILED: {result.get('error', '?')[:200]}"
    parts = []
    for key, fmt in (("fit_s", "fit {:.2f}s"), ("predict_s", "predict {:.3f}s"),
                     ("peak_rss_mib", "rss {:.0f}MiB"), ("metric", "metric {:.5f}"),
                     ("import_s", "import {:.2f}s"), ("first_fit_s", "first fit {:.2f}s"),
                     ("prime_s", "prime {:.1f}s")):
        if key in result:
            parts.append(fmt.format(result[key]))
    if result.get("shared"):
        parts.append("(shared)")
    return ", ".join(parts) + f" [wall {result['wall_s']:.1f}s]"


def _prime(runner: ChildRunner, selected: list[workloads.Workload]) -> dict[str, Any] | None:
    """Fill treeboost's kernel cache once, so measured children load compiled kernels."""
    configs, seen = [], set()
    for wl in selected:
        if wl.kind == "coldstart":
            continue
        for case in wl.cases:
            if "treeboost" not in case.libraries:
                continue
            key = (case.task, case.common["policy"])
            if key not in seen:
                seen.add(key)
                configs.append({"task": case.task, "common": case.common})
    if not configs:
        return None
    tiny = data.synthetic_files("tiny", 10_000, workloads.SEED)
    spec = {"mode": "prime", "train": tiny.to_dict(), "configs": configs}
    _log(f"priming treeboost's numba cache in {NUMBA_CACHE} ...")
    result = runner.run(spec, repeat=0, n_jobs=workloads.N_JOBS, cache_dir=NUMBA_CACHE,
                        memo=False)
    _log(f"  {_describe(result)}")
    return result


def _run_standard(runner: ChildRunner, wl: workloads.Workload, repeats: int,
                  progress: list[int]) -> list[dict[str, Any]]:
    cases_out = []
    for case in wl.cases:
        cases_out.append({"label": case.label, "task": case.task, "common": case.common,
                          "libraries": list(case.libraries),
                          "params": {lib: library_params(lib, case.task, case.common)
                                     for lib in case.libraries},
                          "train": case.train.to_dict() if case.train else None,
                          "test": case.test.to_dict() if case.test else None,
                          "runs": {lib: [] for lib in case.libraries}})
    for r in range(repeats):
        for case, out in zip(wl.cases, cases_out, strict=True):
            for lib in _rotated(case.libraries, r):
                result = runner.run(case.spec(lib), repeat=r, n_jobs=case.common["n_jobs"],
                                    cache_dir=NUMBA_CACHE)
                out["runs"][lib].append(result)
                _tick(progress, f"{wl.name} / {case.label} / repeat {r + 1} / {lib}", result)
    return cases_out


def _run_coldstart(runner: ChildRunner, wl: workloads.Workload, repeats: int,
                   progress: list[int], tmp_root: Path) -> list[dict[str, Any]]:
    case = wl.cases[0]
    keys = ("treeboost-empty", "treeboost-warm", "xgboost", "lightgbm", "sklearn")
    out = {"label": case.label, "task": case.task, "common": case.common,
           "libraries": list(keys), "train": case.train.to_dict(),
           "params": {lib: library_params(lib, case.task, case.common) for lib in LIBRARIES},
           "runs": {k: [] for k in keys}}
    for r in range(repeats):
        for lib in _rotated(LIBRARIES, r):
            if lib == "treeboost":
                cache = Path(tempfile.mkdtemp(prefix="numba-cold-", dir=tmp_root))
                try:
                    for key in ("treeboost-empty", "treeboost-warm"):
                        result = runner.run(case.spec(lib), repeat=r,
                                            n_jobs=case.common["n_jobs"], cache_dir=cache,
                                            memo=False)
                        out["runs"][key].append(result)
                        _tick(progress, f"coldstart / repeat {r + 1} / {key}", result)
                finally:
                    shutil.rmtree(cache, ignore_errors=True)
            else:
                result = runner.run(case.spec(lib), repeat=r, n_jobs=case.common["n_jobs"],
                                    cache_dir=NUMBA_CACHE, memo=False)
                out["runs"][lib].append(result)
                _tick(progress, f"coldstart / repeat {r + 1} / {lib}", result)
    return [out]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.training.run",
        description="Benchmark treeboost against XGBoost, LightGBM and scikit-learn; writes "
                    "benchmarks/training/RESULTS.md.")
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes (200k-row Higgs-like, 50k-row multiclass, scaling to "
                         "300k) and 1 repeat unless --repeats is given")
    ap.add_argument("--only", nargs="+", metavar="NAME", choices=workloads.WORKLOAD_NAMES,
                    help=f"run only these workloads: {', '.join(workloads.WORKLOAD_NAMES)}")
    ap.add_argument("--repeats", type=int, default=None,
                    help="repeats per measurement; figures are medians (default 3, quick 1)")
    ap.add_argument("--libs", nargs="+", choices=LIBRARIES, default=list(LIBRARIES),
                    help="libraries to run (default: all four)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds per child process (default 3600, quick 900)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every row count (debugging aid, e.g. 0.05)")
    ap.add_argument("--omp-passive", action="store_true",
                    help="set OMP_WAIT_POLICY=PASSIVE in every child (all four libraries use "
                         "OpenMP; on a machine busy with other work, spinning OpenMP threads "
                         "can slow 2-thread fits several-fold). Off by default: library defaults")
    ap.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                    help="report path (default benchmarks/training/RESULTS.md)")
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    if args.timeout is None:
        args.timeout = 900.0 if args.quick else 3600.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = _dt.datetime.now().astimezone()
    t_start = time.perf_counter()
    sizes = workloads.scaled(workloads.QUICK if args.quick else workloads.FULL, args.scale)
    names = [n for n in workloads.WORKLOAD_NAMES if args.only is None or n in args.only]
    meta = report.machine_info()
    meta.update({"started": started.isoformat(timespec="seconds"), "quick": args.quick,
                 "repeats": args.repeats, "scale": args.scale, "timeout_s": args.timeout,
                 "argv": sys.argv[1:] if argv is None else list(argv),
                 "libraries": args.libs, "load_before": os.getloadavg()})
    _log(f"benchmarks: {'quick' if args.quick else 'full'} mode, {args.repeats} repeat(s), "
         f"workloads: {', '.join(names)}")

    _log("preparing data (cached in benchmarks/.cache/data) ...")
    t0 = time.perf_counter()
    selected = []
    for name in names:
        wl = workloads.build(name, sizes)
        for case in wl.cases:
            case.libraries = tuple(lib for lib in case.libraries if lib in args.libs)
        selected.append(wl)
    meta["data_prep_s"] = time.perf_counter() - t0

    data.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp_root = Path(tempfile.mkdtemp(prefix="run-", dir=data.CACHE_DIR))
    extra_env = {"OMP_WAIT_POLICY": "PASSIVE"} if args.omp_passive else {}
    meta["extra_env"] = extra_env
    runner = ChildRunner(args.timeout, tmp_root, extra_env)
    results: dict[str, Any] = {"meta": meta, "workloads": []}
    total = 0
    for wl in selected:
        for case in wl.cases:
            total += args.repeats * (len(case.libraries)
                                     + (wl.kind == "coldstart" and "treeboost" in case.libraries))
    progress = [0, total]
    interrupted = False
    try:
        if "treeboost" in args.libs:
            meta["prime"] = _prime(runner, selected)
        for wl in selected:
            entry = {"name": wl.name, "title": wl.title, "description": wl.description,
                     "kind": wl.kind, "notes": list(wl.notes)}
            results["workloads"].append(entry)
            if wl.kind == "coldstart":
                entry["cases"] = _run_coldstart(runner, wl, args.repeats, progress, tmp_root)
            else:
                entry["cases"] = _run_standard(runner, wl, args.repeats, progress)
    except KeyboardInterrupt:
        interrupted = True
        runner.kill_current()
        _log("interrupted: writing a partial report")
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    meta["duration_s"] = time.perf_counter() - t_start
    meta["load_after"] = os.getloadavg()
    meta["children"] = runner.count
    meta["interrupted"] = interrupted
    raw_path = data.CACHE_DIR / f"results-{started.strftime('%Y%m%d-%H%M%S')}.json"
    raw_path.write_text(json.dumps(results, indent=1, default=str))
    args.output.write_text(report.render(results))
    _log(f"wrote {args.output} (raw results: {raw_path}) in {meta['duration_s'] / 60:.1f} min")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
