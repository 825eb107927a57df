"""Every library at its defaults on the suite's real tables, by repeated cross-validation.

    python -m benchmarks.suite                       # every table, every library installed
    python -m benchmarks.suite --quick               # three small bundled tables, 1 x 3 folds
    python -m benchmarks.suite --study               # also the candidate defaults of treeboost
    python -m benchmarks.suite --render              # rewrite the table from the stored results
    python -m benchmarks.suite --tables ames --libraries treeboost lightgbm

Folds: 5-fold cross-validation repeated 3 times (stratified for classification), the same folds
for every library. Results are stored per table and library in a JSON file (``--results``), so a
run can add libraries or candidates without refitting the others; the Markdown table
(``--output``) is rendered from that file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from . import libraries, report, study
from .scoring import Record, fold_score
from .tables import FULL_TABLES, QUICK_TABLES, REGRESSION, categorical_columns, load, table

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent / ".cache" / "suite"
DEFAULT_RESULTS = HERE / "results.json"
DEFAULT_OUTPUT = HERE / "RESULTS-suite.md"


def folds(task: str, y, n_splits: int, n_repeats: int, seed: int = 0):
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    cls = RepeatedKFold if task == REGRESSION else RepeatedStratifiedKFold
    splitter = cls(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def describe(name: str, X, y) -> dict:
    spec = table(name)
    categorical = categorical_columns(X)
    missing = float(X.isna().to_numpy().mean())
    return {
        "task": spec.task,
        "rows": int(len(X)),
        "columns": int(X.shape[1]),
        "categorical": len(categorical),
        "max_categories": max((len(X[c].cat.categories) for c in categorical), default=0),
        "missing": missing,
        "classes": int(len(np.unique(y))) if spec.task != REGRESSION else 0,
        "source": spec.citation,
        "note": spec.note,
    }


def evaluate(name: str, label: str, X, y, splits, quiet=False) -> Record:
    """Cross-validate one library (or treeboost candidate ``treeboost@NAME``) on one table."""
    spec = table(name)
    library, params = study.resolve(label)
    categorical = categorical_columns(X)
    scores, seconds = [], []
    for train, test in splits:
        prediction, fit_s = libraries.fit_predict(
            library, spec.task, X.iloc[train], y[train], X.iloc[test], categorical, params
        )
        scores.append(fold_score(spec.task, y[test], prediction))
        seconds.append(fit_s)
    record = Record(scores, seconds)
    if not quiet:
        print(f"  {name:<14} {label:<28} score {record.score:.5f}  fit {record.fit_time:.3f} s",
              flush=True)
    return record


def warm_up(labels: list[str]) -> None:
    """One untimed fit per library first, so compilation and imports are not in fold one."""
    X, y = load("breast_cancer")
    for label in labels:
        library, params = study.resolve(label)
        libraries.fit_predict(library, "binary", X, y, X.iloc[:10], [], params)


def load_store(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"meta": {}, "tables": {}, "records": {}}


def save_store(path: Path, store: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store, indent=1, sort_keys=True) + "\n")


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.suite", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="the three small bundled tables, one repeat of 3 folds")
    parser.add_argument("--tables", nargs="+", help="table names (default: all)")
    parser.add_argument("--libraries", nargs="+",
                        help="libraries or treeboost@CANDIDATE labels (default: all installed)")
    parser.add_argument("--study", action="store_true",
                        help="also run every candidate default of treeboost (benchmarks/suite/"
                             "study.py) and write the study section")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--folds", type=int, default=None)
    parser.add_argument("--results", type=Path, default=None, help="JSON store of the results")
    parser.add_argument("--output", type=Path, default=None, help="Markdown table to write")
    parser.add_argument("--render", action="store_true", help="only rewrite the table")
    parser.add_argument("--rerun", action="store_true",
                        help="refit entries the store already holds")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    n_folds = args.folds or (3 if args.quick else 5)
    results = args.results or (CACHE / "quick.json" if args.quick else DEFAULT_RESULTS)
    output = args.output or (CACHE / "RESULTS-quick.md" if args.quick else DEFAULT_OUTPUT)
    names = args.tables or list(QUICK_TABLES if args.quick else FULL_TABLES)
    for name in names:
        table(name)  # a clear error for an unknown name
    labels = args.libraries or [lib for lib in libraries.LIBRARIES if libraries.available(lib)]
    if args.study:
        labels = labels + [c for c in study.candidate_labels() if c not in labels]
    for label in labels:
        study.resolve(label)

    store = load_store(results)
    scheme = {"folds": n_folds, "repeats": repeats}
    if store["meta"].get("scheme", scheme) != scheme:
        print(f"the store {results} holds {store['meta']['scheme']} cross-validation; "
              f"asked for {scheme}: pass another --results", file=sys.stderr)
        return 2
    store["meta"]["scheme"] = scheme
    if not args.render:
        todo = [(n, lab) for n in names for lab in labels
                if args.rerun or lab not in store["records"].get(n, {})]
        if todo:
            warm_up(sorted({lab for _, lab in todo}))
        start = time.perf_counter()
        for name in names:
            pending = [lab for n, lab in todo if n == name]
            if not pending:
                continue
            X, y = load(name)
            store["tables"][name] = describe(name, X, y)
            splits = folds(table(name).task, y, n_folds, repeats)
            for label in pending:
                record = evaluate(name, label, X, y, splits)
                store["records"].setdefault(name, {})[label] = {
                    "scores": record.scores, "fit_seconds": record.fit_seconds,
                }
                save_store(results, store)
        store["meta"].update({
            "date": datetime.date.today().isoformat(),
            "machine": machine(),
            "versions": {lib: libraries.version(lib) for lib in libraries.LIBRARIES
                         if libraries.available(lib)},
        })
        save_store(results, store)
        print(f"fitted in {time.perf_counter() - start:.0f} s", flush=True)
    text = report.render(store, names, quick=args.quick)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"wrote {output}")
    return 0


__all__ = ["main", "evaluate", "folds"]
