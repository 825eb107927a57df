"""The demo's report folder: learning curve, importance, SHAP summary, reliability diagram and
the first tree as PNGs, and one self-contained HTML page with the metrics and model summary."""

from __future__ import annotations

from pathlib import Path

from .demo_result import DemoResult
from .html import Report, ReportFigure, ReportTable, render_png, write_report


def _figures(result: DemoResult) -> list[ReportFigure]:
    from .. import plotting

    booster = result.booster
    names = booster.feature_names
    contribs = booster.predict(result.X_test, pred_contribs=True)
    first_tree = booster.trees[0]
    tree_size = (max(7.0, 1.7 * first_tree.n_leaves), max(3.5, 1.3 * (first_tree.max_depth() + 1)))
    best = booster.best_iteration
    return [
        ReportFigure(
            "learning_curve",
            "Learning curve",
            f"Logloss per boosting round on the training and validation sets; early stopping "
            f"kept the rounds up to the best validation score (round {best}).",
            render_png(
                lambda ax: plotting.plot_metric(
                    result.evals_result, "logloss", best_iteration=best, ax=ax
                ),
                (7.0, 4.0),
            ),
        ),
        ReportFigure(
            "importance",
            "Feature importance",
            "Total split gain per feature over the kept trees (the 15 largest).",
            render_png(
                lambda ax: plotting.plot_importance(
                    booster, "total_gain", max_num_features=15, ax=ax
                ),
                (7.0, 5.5),
            ),
        ),
        ReportFigure(
            "shap_summary",
            "SHAP summary",
            f"Exact TreeSHAP contributions to the log-odds of malignancy on the "
            f"{len(result.y_test)} test rows, one point per row; red is a high feature value.",
            render_png(
                lambda ax: plotting.plot_shap_summary(
                    contribs, result.X_test, names, max_display=12, ax=ax
                ),
                (7.5, 5.5),
            ),
        ),
        ReportFigure(
            "reliability",
            "Reliability diagram",
            "Observed malignancy rate against predicted probability on the test set, in five "
            "equal-width bins; marker area and n give the rows in each bin (bins of a few rows "
            "are noisy).",
            render_png(
                lambda ax: plotting.plot_reliability(
                    result.y_test, result.prob_test, n_bins=5, ax=ax, show_counts=True
                ),
                (5.5, 5.0),
            ),
        ),
        ReportFigure(
            "tree_0",
            "First tree",
            "Tree of round 0: split rules (missing values follow the edge marked 'missing') "
            "and leaf values added to the log-odds.",
            render_png(lambda ax: plotting.plot_tree(booster, 0, ax=ax), tree_size),
        ),
    ]


def _tables(result: DemoResult) -> list[ReportTable]:
    booster = result.booster
    params = booster.params
    c = result.confusion
    metrics = ReportTable(
        "Test-set metrics",
        [(name, value) for name, value in result.metrics.items()],
        header=("metric", "value"),
    )
    confusion = ReportTable(
        "Confusion matrix (threshold 0.5)",
        [("malignant", c["TP"], c["FN"]), ("benign", c["FP"], c["TN"])],
        header=("true \\ predicted", "malignant", "benign"),
    )
    model = ReportTable(
        "Model",
        [
            ("objective", params.get("objective", "")),
            ("rounds trained", booster.num_boosted_rounds()),
            ("best iteration", booster.best_iteration),
            ("best validation logloss", float(booster.best_score)),
            ("rounds used for prediction", booster.best_iteration + 1),
            ("learning rate", f"{float(params['learning_rate']):g}"),
            ("max depth", params["max_depth"]),
            ("features", booster.n_features),
            ("rows (train / validation / test)", " / ".join(map(str, result.sizes.values()))),
            ("training time", f"{result.train_seconds:.2f} s"),
        ],
    )
    return [metrics, confusion, model]


def write_demo_report(result: DemoResult, directory: str | Path) -> tuple[Path, list[Path]]:
    """Write the PNGs and ``index.html`` into ``directory``; returns the page and the PNGs."""
    report = Report(
        title="treeboost demo: breast cancer screening",
        lead=(
            "Gradient boosted trees on scikit-learn's breast cancer data (Wisconsin diagnostic), "
            "positive class = malignant. Trained with early stopping on a validation split; "
            "every number and plot below is on the held-out test set unless stated."
        ),
        tables=_tables(result),
        figures=_figures(result),
        footer="Written by 'treeboost demo'. Images are embedded; the page needs no other file.",
    )
    page = write_report(report, directory)
    return page, [Path(directory) / f"{figure.stem}.png" for figure in report.figures]
