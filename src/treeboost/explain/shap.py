"""Shapley values of treeboost models: path-dependent or interventional, grouped or not.

``shap_values`` without a background explains each tree with the training cover standing in for
the feature distribution (path-dependent TreeSHAP, the same numbers as
``Booster.predict(pred_contribs=True)``); with a background it takes the exact expectation over
the background rows (interventional TreeSHAP, ``kernels/shap_interventional.py``).
``shap_tree_dicts`` writes a model in the shap package's custom tree format, so that
``shap.TreeExplainer`` can check these numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

OUTPUTS = ("margin", "probability")
# Logistic-link objectives, whose margin "probability" explains through the sigmoid.
LOGISTIC_OBJECTIVES = ("binary:logistic",)


@dataclass
class ShapResult:
    """Shapley values of a model for some rows.

    Attributes
    ----------
    values : ndarray
        (n_rows, n_columns) for a one-output model, (n_rows, n_outputs, n_columns) otherwise;
        interaction values add a last axis of n_columns. Columns follow ``feature_names``.
    base_values : ndarray
        (n_rows,) or (n_rows, n_outputs): what the values start from. ``base_values`` plus the
        row's values (summed over the last axis, twice for interactions) is the explained
        output: the margin, or the probability for ``output="probability"``.
    feature_names : list of str
        One name per column: the model's features, or the groups then the ungrouped features.
    output : str
        ``"margin"`` or ``"probability"``.
    """

    values: np.ndarray
    base_values: np.ndarray
    feature_names: list[str]
    output: str = "margin"


def shap_values(
    model: Any,
    X: Any,
    background: Any = None,
    output: str = "margin",
    groups: Mapping[str, Sequence[str]] | None = None,
) -> ShapResult:
    """Exact TreeSHAP values of ``model`` for the rows of ``X``.

    Parameters
    ----------
    model : Booster or fitted TreeBoostRegressor / TreeBoostClassifier
    X : array-like or DataFrame (n_rows, n_features)
        Rows to explain; missing values (NaN) follow each split's default direction.
    background : array-like or DataFrame (n_background, n_features), optional
        None: path-dependent TreeSHAP (each tree's training cover stands in for the data
        distribution). Given: interventional TreeSHAP, the exact Shapley values of
        ``E_r[f(x_S, r_rest)]`` averaged over these rows (cost grows with their number; a
        hundred or a few hundred rows is usual).
    output : {"margin", "probability"}
        "probability" (binary:logistic models, with a background only) explains the predicted
        probability: each (row, background row) pair's margin values are scaled to add up to
        the probability difference, as the shap package does.
    groups : dict of str to list of str, optional
        Sum the values of each named group of features (see :func:`group_attributions`).

    Returns
    -------
    ShapResult
    """
    booster = _booster_of(model)
    if output not in OUTPUTS:
        raise ValueError(f"output={output!r} is not valid; valid: {', '.join(map(repr, OUTPUTS))}")
    X_matrix, base_margin = booster._matrix(X)
    begin, end = booster._tree_range(None)
    if background is None:
        if output == "probability":
            raise ValueError(
                "output='probability' needs a background set (interventional TreeSHAP); "
                "path-dependent values explain the margin only"
            )
        contribs = booster._contribs(X_matrix, begin, end, base_margin)
        values, base = contribs[..., :-1], contribs[..., -1]
    else:
        if output == "probability" and booster.objective.name not in LOGISTIC_OBJECTIVES:
            raise ValueError(
                f"output='probability' explains the sigmoid of a binary:logistic model; this "
                f"model's objective is {booster.objective.name!r}: use output='margin'"
            )
        R, _ = booster._matrix(background)
        if R.shape[0] == 0:
            raise ValueError("background has no rows; pass at least one row, or None")
        contribs = _interventional(booster, X_matrix, R, begin, end, output == "probability")
        values, base = contribs[..., :-1], contribs[..., -1]
    result = ShapResult(np.ascontiguousarray(values), base, list(booster.feature_names), output)
    if groups is not None:
        result.values, result.feature_names = group_attributions(
            result.values, result.feature_names, groups
        )
    return result


def shap_interaction_values(model: Any, X: Any) -> ShapResult:
    """Exact path-dependent SHAP interaction values of ``model`` for the rows of ``X``.

    ``values[i, a, b]`` (a != b) is half the Shapley interaction index of features a and b,
    ``values[i, a, a]`` feature a's effect beyond its interactions; ``values[i, a].sum()`` is
    feature a's Shapley value. Shape (n_rows, m, m), or (n_rows, n_outputs, m, m).
    """
    booster = _booster_of(model)
    X_matrix, base_margin = booster._matrix(X)
    begin, end = booster._tree_range(None)
    full = booster._interactions(X_matrix, begin, end, base_margin)
    return ShapResult(
        np.ascontiguousarray(full[..., :-1, :-1]),
        np.ascontiguousarray(full[..., -1, -1]),
        list(booster.feature_names),
    )


def group_attributions(
    values: Any, feature_names: Sequence[str], groups: Mapping[str, Sequence[str]]
) -> tuple[np.ndarray, list[str]]:
    """Sum attributions over groups of features (valid because Shapley values add up).

    Parameters
    ----------
    values : array-like (..., n_features)
        Attributions whose last axis follows ``feature_names`` (no bias column).
    feature_names : sequence of str
    groups : dict of str to list of str
        ``{"amygdala": ["amygdala_left", "amygdala_right"], ...}``; a feature belongs to at
        most one group.

    Returns
    -------
    (grouped, names)
        ``grouped[..., g]`` the sum over the members of unit g; the units are the groups in the
        given order, then every feature in no group, in its original order.
    """
    values = np.asarray(values, dtype=np.float64)
    names = [str(n) for n in feature_names]
    if values.ndim == 0 or values.shape[-1] != len(names):
        raise ValueError(
            f"values must have a last axis of length {len(names)} (one per feature name), "
            f"got shape {values.shape}"
        )
    units, columns = _group_columns(names, groups)
    grouped = np.stack([values[..., c].sum(axis=-1) for c in columns], axis=-1)
    return grouped, units


def shap_tree_dicts(model: Any) -> dict[str, Any]:
    """The model in the shap package's custom tree format: ``shap.TreeExplainer(result)``.

    Each tree becomes a dict of node arrays (``children_left``, ``children_right``,
    ``children_default``, ``features``, ``thresholds``, ``values`` (n_nodes, n_outputs), with
    zeros for the outputs a tree does not feed, ``node_sample_weight`` = cover). The split rule
    ``x <= threshold goes left`` is shap's. Uses the trees ``predict`` uses by default. Models
    with categorical splits are refused (ValueError).
    """
    booster = _booster_of(model)
    if any(getattr(tree, "categories", None) for tree in booster.trees):
        raise ValueError(
            "shap_tree_dicts cannot write categorical splits (shap's tree format has threshold "
            "splits only); this model has some"
        )
    begin, end = booster._tree_range(None)
    k = booster.n_outputs
    trees = []
    for tree, output in zip(booster.trees[begin:end], booster.tree_outputs[begin:end]):
        is_leaf = tree.left < 0
        values = np.zeros((tree.n_nodes, k), dtype=np.float64)
        values[:, output] = tree.value
        trees.append(
            {
                "children_left": tree.left.astype(np.int32),
                "children_right": tree.right.astype(np.int32),
                "children_default": np.where(
                    tree.default_left.astype(bool), tree.left, tree.right
                ).astype(np.int32),
                "features": np.where(is_leaf, -2, tree.feature).astype(np.int32),
                "thresholds": np.where(is_leaf, 0.0, tree.threshold).astype(np.float64),
                "values": values,
                "node_sample_weight": tree.cover.astype(np.float64),
            }
        )
    tree_output = "log_odds" if booster.objective.name in LOGISTIC_OBJECTIVES else "raw_value"
    return {
        "trees": trees,
        "base_offset": booster.base_margin.copy() if k > 1 else float(booster.base_margin[0]),
        "tree_output": tree_output,
        "objective": "binary_crossentropy" if tree_output == "log_odds" else "squared_error",
        "input_dtype": np.float64,
        "internal_dtype": np.float64,
    }


def _interventional(booster, X, R, begin: int, end: int, logistic: bool) -> np.ndarray:
    from ..model.treeshap import interventional_contributions

    n, k, m = X.shape[0], booster.n_outputs, booster.n_features
    out = np.zeros((n, k, m + 1), dtype=np.float64)
    if n:
        margin_x = booster.predict_margin_matrix(X, begin, end)
        interventional_contributions(
            booster._forest(), X, R, begin, end, booster.base_margin, margin_x, logistic, out
        )
    return out[:, 0, :] if k == 1 else out


def _booster_of(model: Any):
    from ..model.booster import Booster

    if isinstance(model, Booster):
        booster = model
    elif getattr(model, "get_booster", None) is not None and type(model).__module__.startswith(
        "treeboost"
    ):
        booster = model.get_booster()
    else:
        booster = None
    if booster is not None:
        return booster
    raise TypeError(
        f"model must be a treeboost Booster or a fitted treeboost estimator, got "
        f"{type(model).__name__}"
    )


def _group_columns(
    names: list[str], groups: Mapping[str, Sequence[str]]
) -> tuple[list[str], list[list[int]]]:
    if not isinstance(groups, Mapping):
        raise TypeError(
            f"groups must be a dict {{group name: [feature names]}}, got {type(groups).__name__}"
        )
    index_of = {name: i for i, name in enumerate(names)}
    owner: dict[int, str] = {}
    units: list[str] = []
    columns: list[list[int]] = []
    for group, members in groups.items():
        if isinstance(members, (str, bytes)) or not isinstance(members, (Sequence, np.ndarray)):
            raise TypeError(
                f"groups[{group!r}] must be a list of feature names, got {type(members).__name__}"
            )
        if len(members) == 0:
            raise ValueError(f"groups[{group!r}] is empty; every group needs at least one feature")
        cols = []
        for member in members:
            if member not in index_of:
                raise ValueError(
                    f"groups[{group!r}] names {member!r}, which is not a feature; features: "
                    f"{', '.join(map(repr, names[:8]))}{', ...' if len(names) > 8 else ''}"
                )
            i = index_of[member]
            if i in owner:
                raise ValueError(
                    f"feature {member!r} is in groups[{owner[i]!r}] and groups[{group!r}]; a "
                    "feature may belong to one group only"
                )
            owner[i] = str(group)
            cols.append(i)
        units.append(str(group))
        columns.append(cols)
    for i, name in enumerate(names):
        if i not in owner:
            if name in groups:
                raise ValueError(
                    f"group name {name!r} is also an ungrouped feature's name; rename the group"
                )
            units.append(name)
            columns.append([i])
    return units, columns
