"""Peak memory of training on a 1,000,000 x 28 table: treeboost, XGBoost and LightGBM.

    python -m benchmarks.memory.run                  # rewrite benchmarks/memory/RESULTS.md
    python -m benchmarks.memory.run --rows 200000    # a smaller table (not written unless -o)

Each library trains in a fresh interpreter, so one peak does not carry into the next. The table
is the LightGBM example sample of HIGGS (../shared/data/lightgbm-examples/binary_classification,
7,000 rows, 28 features) tiled to the requested rows, float32, with a small deterministic jitter
so that the bins are not those of 7,000 distinct rows. Every library: binary log loss, depth-wise
trees of depth 6, 256 bins, learning rate 0.1, 50 rounds, 2 threads. Peak RSS is the child's
VmHWM (its own high-water mark, interpreter and imports included); "before" is the RSS with the
table built, before the library is imported, so "peak - before" is what the library added.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO.parent / "shared" / "data" / "lightgbm-examples" / "binary_classification"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
LIBRARIES = ("treeboost", "xgboost", "lightgbm")
# The ceiling docs/reliability.md states for treeboost on this table (MiB, peak RSS).
TREEBOOST_CEILING_MIB = 512


def _status_mib(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def table(rows: int):
    import numpy as np

    path = SAMPLE / "binary.train"
    if not path.exists():
        raise SystemExit(f"the HIGGS sample {path} is absent (see ../shared/data/README.md)")
    data = np.loadtxt(path, delimiter="\t", dtype=np.float64)
    X0, y0 = data[:, 1:], data[:, 0]
    reps = -(-rows // X0.shape[0])
    X = np.tile(X0.astype(np.float32), (reps, 1))[:rows]
    y = np.tile(y0, reps)[:rows]
    rng = np.random.default_rng(0)
    X += (rng.standard_normal(X.shape, dtype=np.float32) * np.float32(1e-3))
    return np.ascontiguousarray(X), y


def child(lib: str, rows: int, rounds: int) -> dict:
    import numpy as np

    X, y = table(rows)
    before = _status_mib("VmRSS")
    start = time.perf_counter()
    if lib == "treeboost":
        import treeboost as tb

        tb.train({"objective": "binary:logistic", "max_depth": 6, "max_bin": 256,
                  "learning_rate": 0.1, "n_jobs": 2}, tb.Dataset(X, label=y), rounds)
    elif lib == "xgboost":
        import xgboost as xgb

        xgb.train({"objective": "binary:logistic", "max_depth": 6, "max_bin": 256, "eta": 0.1,
                   "tree_method": "hist", "nthread": 2}, xgb.DMatrix(X, label=y), rounds)
    elif lib == "lightgbm":
        import lightgbm as lgb

        lgb.train({"objective": "binary", "max_depth": 6, "num_leaves": 63, "max_bin": 255,
                   "learning_rate": 0.1, "num_threads": 2, "verbose": -1},
                  lgb.Dataset(X, label=y), rounds)
    else:
        raise SystemExit(f"unknown library {lib!r}")
    seconds = time.perf_counter() - start
    del np
    return {"library": lib, "rows": rows, "rounds": rounds, "data_mib": before,
            "peak_mib": _status_mib("VmHWM"), "fit_s": seconds}


def measure(lib: str, rows: int, rounds: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory.run", "--child", lib, "--rows", str(rows),
         "--rounds", str(rounds)],
        capture_output=True, text=True, cwd=REPO, check=False,
    )
    if out.returncode:
        return {"library": lib, "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def versions() -> dict:
    found = {}
    for lib in LIBRARIES:
        try:
            found[lib] = __import__(lib).__version__
        except ImportError:
            found[lib] = "not installed"
    return found


def write(results: list[dict], rows: int, rounds: int, path: Path) -> None:
    tb_peak = next((r["peak_mib"] for r in results if r.get("library") == "treeboost"), None)
    lines = [
        "# Peak memory of training (benchmarks/memory)",
        "",
        f"`python -m benchmarks.memory.run` on {time.strftime('%Y-%m-%d')}: a {rows:,} x 28 "
        "float32 table (the HIGGS sample tiled, see run.py), binary log loss, depth 6, 256 bins, "
        f"{rounds} rounds, 2 threads; one fresh interpreter per library.",
        "",
        f"- machine: {platform.machine()}, {os.cpu_count()} logical cores, "
        f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.1f} GiB; "
        f"Python {platform.python_version()}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()),
        f"- the table itself is {rows * 28 * 4 / 2**20:.0f} MiB of float32",
        "",
        "| library | peak RSS MiB | RSS before import MiB | peak - before MiB | fit s "
        "| peak x treeboost |",
        "| :--- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['library']} | failed: {r['error']} | | | | |")
            continue
        ratio = f"{r['peak_mib'] / tb_peak:.2f}" if tb_peak else ""
        lines.append(
            f"| {r['library']} | {r['peak_mib']:.0f} | {r['data_mib']:.0f} | "
            f"{r['peak_mib'] - r['data_mib']:.0f} | {r['fit_s']:.1f} | {ratio} |"
        )
    lines += [
        "",
        "Fit seconds are only indicative (one fit per library, on a shared machine: load "
        f"average {os.getloadavg()[0]:.1f} over the last minute when the table was written); the "
        "memory figures do not depend on the load.",
        "",
        f"Stated ceiling (docs/reliability.md): treeboost's peak RSS on this table stays under "
        f"{TREEBOOST_CEILING_MIB} MiB; `tests/test_memory_limits.py` checks it (marked slow, "
        "`pytest -m slow tests/test_memory_limits.py`).",
        "",
    ]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--only", nargs="*", default=list(LIBRARIES))
    p.add_argument("-o", "--output", type=Path, default=None)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.rounds)))
        return 0
    results = []
    for lib in args.only:
        result = measure(lib, args.rows, args.rounds)
        print(json.dumps(result), flush=True)
        results.append(result)
    output = args.output or (RESULTS if args.rows == 1_000_000 else None)
    if output is not None:
        write(results, args.rows, args.rounds, output)
        print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
