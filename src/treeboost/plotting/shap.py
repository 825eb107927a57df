"""SHAP plots from a contributions matrix, as ``booster.predict(X, pred_contribs=True)``
returns it (one column per feature, the bias last)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import axes_or_new, feature_matrix, positive_int

# Beeswarm: values are grouped into this many bins along the x axis; points sharing a bin are
# stacked up and down so that the density of a row reads as its thickness.
SWARM_BINS = 100
SWARM_HALF_HEIGHT = 0.4


def _feature_contribs(contribs: Any, n_features: int | None, output: int | None) -> np.ndarray:
    """(n_rows, n_features) contributions without the bias column, for one output."""
    values = np.asarray(contribs, dtype=np.float64)
    if values.ndim == 3:
        k = values.shape[1]
        if output is None:
            raise ValueError(
                f"contribs has {k} outputs (shape {values.shape}); pass output=0 to {k - 1}"
            )
        if isinstance(output, bool) or not isinstance(output, (int, np.integer)):
            raise TypeError(f"output must be an integer, got {type(output).__name__}")
        if not 0 <= output < k:
            raise ValueError(f"output={output} is out of range; valid: 0 to {k - 1}")
        values = values[:, output, :]
    elif output not in (None, 0):
        raise ValueError(f"output={output!r} is only valid for a 3-D (multi-output) contribs")
    if values.ndim != 2:
        raise ValueError(
            f"contribs must be (n_rows, n_features + 1) or (n_rows, n_outputs, n_features + 1), "
            f"got shape {values.shape}"
        )
    if n_features is None:
        n_features = values.shape[1] - 1  # predict(pred_contribs=True) layout: bias last
    if values.shape[1] == n_features + 1:
        return values[:, :n_features]
    if values.shape[1] == n_features:
        return values
    raise ValueError(
        f"contribs has {values.shape[1]} columns; expected {n_features + 1} "
        f"({n_features} features and the bias) or {n_features}"
    )


def _inputs(contribs, X, feature_names, output):
    """Contributions, feature matrix (or None) and names, checked against each other."""
    matrix = names = None
    if X is not None:
        matrix, names = feature_matrix(X)
    if feature_names is not None:
        names = [str(n) for n in feature_names]
    n_features = matrix.shape[1] if matrix is not None else (len(names) if names else None)
    values = _feature_contribs(contribs, n_features, output)
    if matrix is not None and matrix.shape != values.shape:
        raise ValueError(
            f"X has shape {matrix.shape} but the contributions are {values.shape}; pass the "
            "rows the contributions were computed for"
        )
    if names is not None and len(names) != values.shape[1]:
        raise ValueError(
            f"feature_names has {len(names)} names; the contributions have "
            f"{values.shape[1]} features"
        )
    if names is None:
        names = [f"f{i}" for i in range(values.shape[1])]
    return values, matrix, names


def swarm_offsets(values: np.ndarray, seed: int = 0) -> np.ndarray:
    """Vertical offsets in [-SWARM_HALF_HEIGHT, SWARM_HALF_HEIGHT] that spread points sharing an
    x bin: 0, +1, -1, +2, -2, ... layers, scaled so the densest bin fills the row."""
    n = values.shape[0]
    if n == 0:
        return np.zeros(0)
    low, high = np.nanmin(values), np.nanmax(values)
    width = (high - low) / SWARM_BINS if high > low else 1.0
    bins = np.floor((values - low) / width).astype(np.int64)
    # Random order within a bin, so stacking does not follow the color (feature value).
    tiebreak = np.random.default_rng(seed).permutation(n)
    order = np.lexsort((tiebreak, bins))
    sorted_bins = bins[order]
    starts = np.flatnonzero(np.r_[True, sorted_bins[1:] != sorted_bins[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    rank = np.arange(n) - run_start
    layer = (rank + 1) // 2 * np.where(rank % 2 == 1, 1.0, -1.0)
    offsets = np.empty(n)
    offsets[order] = layer
    peak = np.abs(offsets).max()
    return offsets * (SWARM_HALF_HEIGHT / peak) if peak > 0 else offsets


def _color_scale(column: np.ndarray) -> np.ndarray:
    """Feature values mapped to [0, 1] between their 5th and 95th percentiles (NaN stays)."""
    finite = column[np.isfinite(column)]
    if finite.size == 0:
        return np.full(column.shape, np.nan)
    low, high = np.percentile(finite, [5, 95])
    if high <= low:
        low, high = finite.min(), finite.max()
    if high <= low:
        return np.where(np.isfinite(column), 0.5, np.nan)
    return np.clip((column - low) / (high - low), 0.0, 1.0)


def plot_shap_summary(
    contribs: Any,
    X: Any = None,
    feature_names: list[str] | None = None,
    max_display: int = 20,
    output: int | None = None,
    ax=None,
    title: str | None = "SHAP summary",
    cmap: str = "coolwarm",
):
    """Beeswarm of SHAP values: one row per feature, ordered by mean absolute contribution;
    each point one sample, colored by its feature value when ``X`` is given.

    Parameters
    ----------
    contribs : array
        ``booster.predict(X, pred_contribs=True)``: (n_rows, n_features + 1) with the bias last
        (dropped here), or (n_rows, n_outputs, n_features + 1) with ``output`` chosen. A matrix
        with exactly one column per feature of ``X`` (no bias) is also accepted.
    X : array or DataFrame, optional
        The rows the contributions explain; colors points by feature value.
    feature_names : list of str, optional
        Default: the DataFrame's columns, else ``f0, f1, ...``.
    max_display : int
        Show this many features with the largest mean |SHAP value|.
    output : int, optional
        Output (class) to show for multi-output contributions.
    ax : matplotlib Axes, optional
    title : str or None
    cmap : str
        Colormap from low (first color) to high feature values.

    Returns
    -------
    matplotlib Axes
    """
    max_display = positive_int("max_display", max_display)
    values, matrix, names = _inputs(contribs, X, feature_names, output)
    if values.shape[0] == 0:
        raise ValueError("contribs has no rows to plot")
    importance = np.abs(values).mean(axis=0)
    shown = np.argsort(-importance, kind="stable")[:max_display]

    ax = axes_or_new(ax, figsize=(7.5, max(2.5, 0.4 * len(shown) + 1.5)))
    import matplotlib as mpl

    colormap = mpl.colormaps[cmap]
    for row, feature in enumerate(shown[::-1]):  # most important at the top
        x = values[:, feature]
        y = row + swarm_offsets(x, seed=int(feature))
        if matrix is None:
            ax.scatter(x, y, s=8, color="#3b75af", alpha=0.8, linewidths=0)
            continue
        scale = _color_scale(matrix[:, feature])
        missing = np.isnan(scale)
        if missing.any():
            ax.scatter(x[missing], y[missing], s=8, color="#999999", alpha=0.8, linewidths=0)
        ax.scatter(x[~missing], y[~missing], s=8, c=scale[~missing], cmap=colormap, vmin=0.0,
                   vmax=1.0, alpha=0.8, linewidths=0)  # fmt: skip
    ax.set_yticks(range(len(shown)), labels=[names[i] for i in shown[::-1]])
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.axvline(0.0, color="#888888", lw=0.8, zorder=0)
    ax.set_xlabel("SHAP value (contribution to the margin)")
    if matrix is not None:
        mappable = mpl.cm.ScalarMappable(norm=mpl.colors.Normalize(0.0, 1.0), cmap=colormap)
        bar = ax.figure.colorbar(mappable, ax=ax, ticks=[0.0, 1.0], aspect=40, pad=0.02)
        bar.ax.set_yticklabels(["low", "high"])
        bar.set_label("feature value")
    if title:
        ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return ax


def _feature_index(feature: Any, names: list[str], what: str) -> int:
    if isinstance(feature, str):
        if feature not in names:
            raise ValueError(f"{what}={feature!r} is not a feature; valid: {', '.join(names)}")
        return names.index(feature)
    if isinstance(feature, bool) or not isinstance(feature, (int, np.integer)):
        raise TypeError(f"{what} must be a feature name or index, got {type(feature).__name__}")
    if not 0 <= feature < len(names):
        raise ValueError(f"{what}={feature} is out of range; valid: 0 to {len(names) - 1}")
    return int(feature)


def plot_shap_dependence(
    feature: str | int,
    contribs: Any,
    X: Any,
    feature_names: list[str] | None = None,
    color_feature: str | int | None = None,
    output: int | None = None,
    ax=None,
    title: str | None = None,
    cmap: str = "coolwarm",
):
    """Scatter of one feature's value against its SHAP value, optionally colored by a second
    feature (to show an interaction). Rows where the feature is missing are left out.

    Parameters
    ----------
    feature : str or int
        Feature name or column index.
    contribs : array
        As for :func:`plot_shap_summary`.
    X : array or DataFrame
        The rows the contributions explain.
    feature_names : list of str, optional
    color_feature : str or int, optional
        Feature whose value colors the points.
    output : int, optional
        Output (class) for multi-output contributions.
    ax : matplotlib Axes, optional
    title : str, optional
        Default ``"SHAP dependence: <feature>"``.
    cmap : str

    Returns
    -------
    matplotlib Axes
    """
    if X is None:
        raise ValueError("X is required: the dependence plot puts feature values on the x axis")
    values, matrix, names = _inputs(contribs, X, feature_names, output)
    index = _feature_index(feature, names, "feature")
    x = matrix[:, index]
    y = values[:, index]
    present = ~np.isnan(x)

    ax = axes_or_new(ax, figsize=(6.5, 4.5))
    if color_feature is None:
        ax.scatter(x[present], y[present], s=10, color="#3b75af", alpha=0.8, linewidths=0)
    else:
        color_index = _feature_index(color_feature, names, "color_feature")
        colors = matrix[present, color_index]
        points = ax.scatter(x[present], y[present], s=10, c=colors, cmap=cmap, alpha=0.8,
                            linewidths=0, plotnonfinite=True)  # fmt: skip
        ax.figure.colorbar(points, ax=ax, pad=0.02).set_label(names[color_index])
    ax.axhline(0.0, color="#888888", lw=0.8, zorder=0)
    ax.set_xlabel(names[index])
    ax.set_ylabel(f"SHAP value of {names[index]}")
    ax.set_title(f"SHAP dependence: {names[index]}" if title is None else title)
    ax.grid(alpha=0.3)
    return ax
