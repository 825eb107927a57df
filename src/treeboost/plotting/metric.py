"""Learning curves: an evaluation metric per boosting round, one line per evaluation set."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import axes_or_new


def _evals_log(source: Any) -> dict[str, dict[str, list[float]]]:
    """The ``{data: {metric: [score per round]}}`` log of a dict or a fitted estimator."""
    if hasattr(source, "evals_result_"):
        source = source.evals_result_
    if not isinstance(source, dict) or not source:
        raise ValueError(
            "evals_result must be a non-empty {data_name: {metric_name: [scores]}} dict, as "
            "filled by train(..., evals_result=...), or an estimator fitted with eval_set"
        )
    for data_name, metrics in source.items():
        if not isinstance(metrics, dict) or not metrics:
            raise ValueError(
                f"evals_result[{data_name!r}] must be a non-empty {{metric_name: [scores]}} dict"
            )
    return source


def plot_metric(
    evals_result: Any,
    metric: str | None = None,
    dataset_names: list[str] | None = None,
    best_iteration: int | None = None,
    ax=None,
    title: str | None = "Learning curve",
):
    """Plot one metric per boosting round for each evaluation set.

    Parameters
    ----------
    evals_result : dict or fitted estimator
        ``{data_name: {metric_name: [score per round]}}`` from
        ``train(..., evals_result=evals_result)``, or an estimator with ``evals_result_``.
    metric : str, optional
        Which metric; default the first one recorded.
    dataset_names : list of str, optional
        Which evaluation sets; default all that record ``metric``.
    best_iteration : int, optional
        Round to mark with a dashed vertical line (e.g. ``booster.best_iteration``).
    ax : matplotlib Axes, optional
    title : str or None

    Returns
    -------
    matplotlib Axes
    """
    log = _evals_log(evals_result)
    recorded = list(dict.fromkeys(m for metrics in log.values() for m in metrics))
    if metric is None:
        metric = recorded[0]
    elif metric not in recorded:
        raise ValueError(f"metric={metric!r} was not recorded; valid: {', '.join(recorded)}")
    if dataset_names is None:
        dataset_names = [name for name, metrics in log.items() if metric in metrics]
    else:
        for name in dataset_names:
            if name not in log or metric not in log[name]:
                valid = [n for n, metrics in log.items() if metric in metrics]
                raise ValueError(
                    f"dataset_names entry {name!r} has no {metric!r} scores; valid: "
                    f"{', '.join(valid)}"
                )

    ax = axes_or_new(ax, figsize=(7.0, 4.0))
    for name in dataset_names:
        scores = np.asarray(log[name][metric], dtype=np.float64)
        ax.plot(np.arange(scores.size), scores, label=name)
    if best_iteration is not None:
        ax.axvline(best_iteration, color="gray", linestyle="--", linewidth=1,
                   label=f"best iteration ({best_iteration})")  # fmt: skip
    ax.set_xlabel("boosting round")
    ax.set_ylabel(metric)
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
