"""Feature importance as horizontal bars."""

from __future__ import annotations

from typing import Any

from ._common import as_booster, axes_or_new, positive_int

IMPORTANCE_LABELS = {
    "weight": "number of splits",
    "gain": "mean gain per split",
    "cover": "mean cover per split",
    "total_gain": "total gain",
    "total_cover": "total cover",
}


def plot_importance(
    model: Any,
    importance_type: str = "weight",
    max_num_features: int | None = None,
    ax=None,
    title: str | None = "Feature importance",
    show_values: bool = True,
    color: str = "#3b75af",
):
    """Horizontal bars of per-feature importance, the largest at the top.

    Parameters
    ----------
    model : Booster, fitted TreeBoost estimator, or dict
        The model, or a ``{feature: score}`` mapping such as ``booster.get_score()``.
    importance_type : str
        One of ``weight``, ``gain``, ``cover``, ``total_gain``, ``total_cover`` (see
        :meth:`Booster.get_score`); ignored for a dict.
    max_num_features : int, optional
        Show only this many of the most important features.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    title : str or None
    show_values : bool
        Write each score at the end of its bar.
    color : str
        Bar color.

    Returns
    -------
    matplotlib Axes
    """
    if importance_type not in IMPORTANCE_LABELS:
        raise ValueError(
            f"importance_type={importance_type!r} is not valid; valid: "
            f"{', '.join(IMPORTANCE_LABELS)}"
        )
    limit = positive_int("max_num_features", max_num_features, allow_none=True)
    if isinstance(model, dict):
        scores = {str(k): float(v) for k, v in model.items()}
    else:
        scores = as_booster(model).get_score(importance_type)
    if not scores:
        raise ValueError("the model has no splits, so there is no importance to plot")
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    ranked.reverse()  # barh draws bottom-up: the largest goes last, at the top
    names = [name for name, _ in ranked]
    values = [value for _, value in ranked]

    ax = axes_or_new(ax, figsize=(7.0, max(2.5, 0.32 * len(names) + 1.2)))
    positions = range(len(names))
    ax.barh(positions, values, height=0.6, color=color)
    ax.set_yticks(list(positions), labels=names)
    ax.set_xlabel(IMPORTANCE_LABELS[importance_type] if not isinstance(model, dict) else "score")
    if title:
        ax.set_title(title)
    if show_values:
        top = max(values)
        for y, value in zip(positions, values):
            text = f"{value:.0f}" if float(value).is_integer() else f"{value:.3g}"
            ax.text(value + 0.01 * top, y, text, va="center", fontsize=8)
        ax.set_xlim(0, top * 1.15 if top > 0 else 1)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    return ax
