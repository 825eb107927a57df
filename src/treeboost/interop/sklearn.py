"""Fitted scikit-learn tree models as treeboost model contents.

Supported: ``HistGradientBoostingRegressor`` / ``-Classifier``, ``GradientBoostingRegressor`` /
``-Classifier``, ``RandomForestRegressor`` / ``-Classifier``, ``ExtraTreesRegressor`` /
``-Classifier`` and ``DecisionTreeRegressor`` / ``-Classifier``.

How scikit-learn compares, and how that is carried over:

- ``sklearn.tree`` trees (and the forests and gradient boosting built on them) cast the input
  to float32 and send ``float32(x) <= threshold`` left, with a float64 threshold. Each
  threshold ``t`` becomes the largest float64 ``t'`` with ``x <= t'`` exactly when
  ``float32(x) <= t`` (the midpoint between the largest float32 not above ``t`` and the next
  float32, minus one step when round-half-to-even would send that midpoint up), so the imported
  model makes the same decision for every float64 input, not only for float32 values.
  NaN follows ``missing_go_to_left``. A split on missingness alone (threshold +inf) gets the
  largest float64 as its threshold: the same decisions except for an input of +inf, which
  scikit-learn sends left and the imported model right.
- ``HistGradientBoosting*`` compare float64 input with ``x <= threshold`` and send NaN by
  ``missing_go_to_left``: carried over as is. Categorical splits send the codes in the node's
  bitset left; categories of a DataFrame are matched by label (an unknown label is missing).

Node ids of ``sklearn.tree`` trees are kept, so ``predict(pred_leaf=True)`` equals ``apply()``.

Classifiers that average probabilities (random forests, extra trees, a decision tree) are not
margin-plus-link models: they become ``reg:squarederror`` models whose prediction *is* the
averaged probability: one output (the probability of the second class) for two classes, one
output per class otherwise. Calibration and conformal methods then see probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.model_file import ModelContents
from ..model.params import validate_params
from ..objectives import get_objective
from ..tree.tree import Tree

_FOREST_NAMES = {
    "RandomForestRegressor", "RandomForestClassifier", "ExtraTreesRegressor",
    "ExtraTreesClassifier", "DecisionTreeRegressor", "DecisionTreeClassifier",
}
_SUPPORTED = (
    "HistGradientBoostingRegressor, HistGradientBoostingClassifier, "
    "GradientBoostingRegressor, GradientBoostingClassifier, RandomForestRegressor, "
    "RandomForestClassifier, ExtraTreesRegressor, ExtraTreesClassifier, "
    "DecisionTreeRegressor, DecisionTreeClassifier"
)


def contents_from_sklearn(estimator: Any) -> ModelContents:
    """A fitted scikit-learn tree model as :class:`~treeboost.model.model_file.ModelContents`.

    Parameters
    ----------
    estimator : fitted scikit-learn estimator
        One of the estimators listed in this module's docstring.

    Returns
    -------
    ModelContents

    Raises
    ------
    ValueError
        One line naming the estimator and the option treeboost cannot represent (an unfitted
        estimator, several regression targets, a custom ``init``, an unsupported loss).
    TypeError
        For an estimator of another kind.
    """
    kind = type(estimator).__name__
    if kind in ("HistGradientBoostingRegressor", "HistGradientBoostingClassifier"):
        _check_fitted(estimator, "_predictors")
        return _from_hist_gradient_boosting(estimator)
    if kind in ("GradientBoostingRegressor", "GradientBoostingClassifier"):
        _check_fitted(estimator, "estimators_")
        return _from_gradient_boosting(estimator)
    if kind in _FOREST_NAMES:
        _check_fitted(estimator, "tree_" if kind.startswith("DecisionTree") else "estimators_")
        return _from_forest(estimator)
    raise TypeError(f"cannot import a {kind}: supported scikit-learn estimators are {_SUPPORTED}")


def _check_fitted(estimator: Any, attribute: str) -> None:
    if not hasattr(estimator, attribute):
        raise ValueError(f"the {type(estimator).__name__} is not fitted; call fit() first")


def _feature_names(estimator: Any) -> list[str]:
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(name) for name in names]
    return [f"f{i}" for i in range(int(estimator.n_features_in_))]


def _contents(
    estimator: Any, params: dict, base_margin: np.ndarray, trees: list[Tree], n_outputs: int,
    categories: list | None = None,
) -> ModelContents:
    names = _feature_names(estimator)
    categories = categories or [None] * len(names)
    params = validate_params(params)
    objective = get_objective(params["objective"], params)
    if objective.n_outputs != n_outputs:
        raise ValueError(f"internal: objective {params['objective']} has the wrong output count")
    return ModelContents(
        objective=objective,
        base_margin=np.asarray(base_margin, dtype=np.float64).reshape(n_outputs),
        feature_names=names,
        feature_types=["float" if c is None else "c" for c in categories],
        categories=categories,
        params=params,
        trees=trees,
        tree_outputs=[i % n_outputs for i in range(len(trees))],
    )


# -- sklearn.tree trees -------------------------------------------------------------------
def float32_threshold(threshold: np.ndarray) -> np.ndarray:
    """Float64 thresholds ``t'`` with ``x <= t'`` exactly when ``float32(x) <= t``, for every
    float64 ``x`` (scikit-learn's trees compare the float32 input with a float64 threshold).

    Parameters
    ----------
    threshold : ndarray of float64

    Returns
    -------
    ndarray of float64
    """
    t = np.asarray(threshold, dtype=np.float64)
    # f: the largest float32 not above t; float32(x) <= t exactly when float32(x) <= f.
    f = t.astype(np.float32)
    above = f.astype(np.float64) > t
    f[above] = np.nextafter(f[above], np.float32(-np.inf))
    up = np.nextafter(f, np.float32(np.inf))
    with np.errstate(over="ignore", invalid="ignore"):
        step = np.where(np.isinf(up), np.spacing(f), up.astype(np.float64) - f)
    # Every x below the midpoint rounds to f or lower; the midpoint itself rounds to the
    # neighbour with an even significand (round half to even).
    midpoint = f.astype(np.float64) + step / 2
    ties_down = (f.view(np.uint32) & 1) == 0
    out = np.where(ties_down, midpoint, np.nextafter(midpoint, -np.inf))
    # scikit-learn splits on missingness alone with threshold +inf (every value left, NaN by
    # missing_go_to_left). Model files hold finite numbers only, and the largest float64 makes
    # the same decision for every input but +inf itself.
    largest = np.finfo(np.float64).max
    return np.where(np.isfinite(t), out, np.where(t > 0, largest, -largest))


def _sklearn_tree(tree_: Any, leaf_values: np.ndarray, where: str) -> Tree:
    """One ``sklearn.tree._tree.Tree`` with the given per-node values; node ids are kept."""
    left = np.asarray(tree_.children_left, dtype=np.int64)
    right = np.asarray(tree_.children_right, dtype=np.int64)
    is_leaf = left < 0
    if np.any(left[~is_leaf] <= np.flatnonzero(~is_leaf)) or np.any(
        right[~is_leaf] <= np.flatnonzero(~is_leaf)
    ):
        raise ValueError(f"cannot import {where}: a child node comes before its parent")
    missing_left = getattr(tree_, "missing_go_to_left", None)
    if missing_left is None:
        missing_left = np.zeros(left.shape[0], dtype=np.uint8)
    threshold = float32_threshold(np.asarray(tree_.threshold, dtype=np.float64))
    return Tree.from_lists({
        "left": np.where(is_leaf, -1, left),
        "right": np.where(is_leaf, -1, right),
        "feature": np.where(is_leaf, -1, tree_.feature),
        "threshold": np.where(is_leaf, 0.0, threshold),
        # Placeholder binned rule: the model carries no bins; raw prediction reads thresholds.
        "split_bin": np.where(is_leaf, 0, 1),
        "default_left": np.where(is_leaf, 0, missing_left),
        "value": leaf_values,
        "cover": np.asarray(tree_.weighted_n_node_samples, dtype=np.float64),
        "gain": np.zeros(left.shape[0]),
        "sample_count": np.asarray(tree_.n_node_samples, dtype=np.int64),
    })


def _class_probabilities(tree_: Any) -> np.ndarray:
    """(n_nodes, n_classes) class probabilities of every node (counts or fractions alike)."""
    value = np.asarray(tree_.value, dtype=np.float64)[:, 0, :]
    total = value.sum(axis=1, keepdims=True)
    return np.divide(value, total, out=np.zeros_like(value), where=total > 0)


def _from_forest(estimator: Any) -> ModelContents:
    kind = type(estimator).__name__
    members = [estimator] if kind.startswith("DecisionTree") else list(estimator.estimators_)
    if int(getattr(estimator, "n_outputs_", 1)) != 1:
        raise ValueError(
            f"cannot import a {kind} with n_outputs_={estimator.n_outputs_}: treeboost models "
            "of averaged trees hold one target"
        )
    share = 1.0 / len(members)
    trees: list[Tree] = []
    if kind.endswith("Regressor"):
        for i, member in enumerate(members):
            value = np.asarray(member.tree_.value, dtype=np.float64)[:, 0, 0] * share
            trees.append(_sklearn_tree(member.tree_, value, f"{kind} tree {i}"))
        return _contents(estimator, {"objective": "reg:squarederror"}, np.zeros(1), trees, 1)
    n_classes = len(estimator.classes_)
    # Two classes: the probability of classes_[1]; more: one output per class.
    outputs = [1] if n_classes == 2 else list(range(n_classes))
    for i, member in enumerate(members):
        proba = _class_probabilities(member.tree_)
        for c in outputs:
            trees.append(_sklearn_tree(member.tree_, proba[:, c] * share, f"{kind} tree {i}"))
    params: dict[str, Any] = {"objective": "reg:squarederror"}
    if len(outputs) > 1:
        params["num_target"] = len(outputs)
    return _contents(estimator, params, np.zeros(len(outputs)), trees, len(outputs))


# -- GradientBoosting ---------------------------------------------------------------------
def _gradient_boosting_objective(estimator: Any) -> tuple[dict[str, Any], float]:
    """(treeboost params, factor on margins) for the estimator's loss."""
    kind = type(estimator).__name__
    loss = estimator.loss
    if kind == "GradientBoostingRegressor":
        table = {
            "squared_error": {"objective": "reg:squarederror"},
            "absolute_error": {"objective": "reg:absoluteerror"},
            # Prediction is the raw score for both; only continued training would see the loss.
            "huber": {"objective": "reg:pseudohubererror"},
            "quantile": {"objective": "reg:quantileerror", "quantile_alpha": estimator.alpha},
        }
        if loss not in table:
            raise ValueError(f"cannot import a {kind} with loss={loss!r}; valid: {list(table)}")
        return table[loss], 1.0
    n_classes = len(estimator.classes_)
    if loss == "log_loss":
        if n_classes == 2:
            return {"objective": "binary:logistic"}, 1.0
        return {"objective": "multi:softprob", "num_class": n_classes}, 1.0
    if loss == "exponential" and n_classes == 2:
        # predict_proba is sigmoid(2 * decision_function): the factor goes into the margins.
        return {"objective": "binary:logistic"}, 2.0
    raise ValueError(f"cannot import a {kind} with loss={loss!r}; valid: 'log_loss', "
                     "'exponential' (two classes)")


def _from_gradient_boosting(estimator: Any) -> ModelContents:
    kind = type(estimator).__name__
    params, factor = _gradient_boosting_objective(estimator)
    init = estimator.init_
    init_name = type(init).__name__
    constant = (isinstance(init, str) and init == "zero") or (
        init_name in ("DummyRegressor", "DummyClassifier")
        and getattr(init, "strategy", "") != "stratified"
    )
    if not constant:
        raise ValueError(
            f"cannot import a {kind} with init={init_name}: only 'zero' and a non-random "
            "DummyRegressor / DummyClassifier (the default) give a constant starting margin"
        )
    stages = np.asarray(estimator.estimators_, dtype=object)
    n_outputs = stages.shape[1]
    base = _gradient_boosting_base(estimator, n_outputs) * factor
    scale = float(estimator.learning_rate) * factor
    trees = []
    for i in range(stages.shape[0]):
        for k in range(n_outputs):
            member = stages[i, k]
            value = np.asarray(member.tree_.value, dtype=np.float64)[:, 0, 0] * scale
            trees.append(_sklearn_tree(member.tree_, value, f"{kind} stage {i} output {k}"))
    return _contents(estimator, params, base, trees, n_outputs)


def _gradient_boosting_base(estimator: Any, n_outputs: int) -> np.ndarray:
    """The constant raw prediction of the init estimator."""
    if isinstance(estimator.init_, str):
        return np.zeros(n_outputs)
    row = np.zeros((1, int(estimator.n_features_in_)), dtype=np.float32)
    raw_init = getattr(estimator, "_raw_predict_init", None)
    if raw_init is not None:
        return np.asarray(raw_init(row), dtype=np.float64).reshape(n_outputs)
    # Without the private helper: the raw score of one row less what its trees add.
    raw = np.asarray(estimator._raw_predict(row), dtype=np.float64).reshape(n_outputs)
    for stage in estimator.estimators_:
        for k, member in enumerate(stage):
            raw[k] -= estimator.learning_rate * member.predict(row)[0]
    return raw


# -- HistGradientBoosting -----------------------------------------------------------------
_HGB_REGRESSION = {
    "squared_error": "reg:squarederror",
    "absolute_error": "reg:absoluteerror",
    "gamma": "reg:gamma",
    "poisson": "count:poisson",
    "quantile": "reg:quantileerror",
}


def _hist_objective(estimator: Any) -> dict[str, Any]:
    kind = type(estimator).__name__
    loss = estimator.loss
    if kind == "HistGradientBoostingRegressor":
        if loss not in _HGB_REGRESSION:
            raise ValueError(
                f"cannot import a {kind} with loss={loss!r}; valid: {list(_HGB_REGRESSION)}"
            )
        params: dict[str, Any] = {"objective": _HGB_REGRESSION[loss]}
        if loss == "quantile":
            params["quantile_alpha"] = float(estimator.quantile)
        return params
    if loss != "log_loss":
        raise ValueError(f"cannot import a {kind} with loss={loss!r}; valid: 'log_loss'")
    n_classes = len(estimator.classes_)
    if n_classes == 2:
        return {"objective": "binary:logistic"}
    return {"objective": "multi:softprob", "num_class": n_classes}


def _hist_columns(estimator: Any, n_features: int) -> tuple[np.ndarray, list]:
    """(original column of each column the predictors see, labels per original column).

    A DataFrame with categorical columns goes through an ordinal encoder first, whose output
    puts the categorical columns before the numeric ones."""
    categories: list = [None] * n_features
    pre = getattr(estimator, "_preprocessor", None)
    if pre is None:
        is_cat = getattr(estimator, "is_categorical_", None)
        mapper = getattr(estimator, "_bin_mapper", None)
        if is_cat is not None and mapper is not None:
            for f in np.flatnonzero(is_cat):
                known = np.asarray(mapper.bin_thresholds_[f])
                n = int(known.max()) + 1 if known.size else 1
                categories[f] = list(range(n))
        return np.arange(n_features), categories
    order = []
    for name, transformer, columns in pre.transformers_:
        if name == "remainder" and transformer == "drop":
            continue
        cols = np.asarray(columns)
        cols = np.flatnonzero(cols) if cols.dtype == bool else cols.astype(np.int64)
        if name == "encoder":
            for f, labels in zip(cols, transformer.categories_, strict=True):
                categories[int(f)] = [_plain(label) for label in labels]
        order.extend(int(f) for f in cols)
    if sorted(order) != list(range(n_features)):
        raise ValueError("cannot import this HistGradientBoosting model: its column encoder "
                         "does not keep every column once")
    return np.asarray(order, dtype=np.int64), categories


def _plain(label: Any) -> Any:
    return label.item() if isinstance(label, np.generic) else label


def _hist_tree(predictor: Any, column: np.ndarray, categories: list, where: str) -> Tree:
    nodes = predictor.nodes
    is_leaf = nodes["is_leaf"].astype(bool)
    left = nodes["left"].astype(np.int64)
    right = nodes["right"].astype(np.int64)
    inner = np.flatnonzero(~is_leaf)
    if np.any(left[inner] <= inner) or np.any(right[inner] <= inner):
        raise ValueError(f"cannot import {where}: a child node comes before its parent")
    feature = np.where(is_leaf, -1, column[nodes["feature_idx"]])
    is_cat = nodes["is_categorical"].astype(bool) & ~is_leaf
    tables = {}
    bitsets = np.asarray(predictor.raw_left_cat_bitsets)
    for node in np.flatnonzero(is_cat):
        words = bitsets[int(nodes["bitset_idx"][node])].astype(np.uint64)
        bits = (words[:, None] >> np.arange(32, dtype=np.uint64)) & np.uint64(1)
        codes = np.flatnonzero(bits.ravel())
        n_labels = len(categories[int(feature[node])])
        codes = codes[codes < n_labels]
        table = np.zeros(n_labels + 1, dtype=np.uint8)
        table[0] = nodes["missing_go_to_left"][node]
        table[1 + codes] = 1
        tables[int(node)] = table
    return Tree.from_lists({
        "left": np.where(is_leaf, -1, left),
        "right": np.where(is_leaf, -1, right),
        "feature": feature,
        "threshold": np.where(is_leaf | is_cat, 0.0, nodes["num_threshold"]),
        "split_bin": np.where(is_leaf | is_cat, 0, 1),
        "default_left": np.where(is_leaf, 0, nodes["missing_go_to_left"]),
        "value": nodes["value"].astype(np.float64),
        "cover": nodes["count"].astype(np.float64),
        "gain": np.where(is_leaf, 0.0, nodes["gain"]),
        "sample_count": nodes["count"].astype(np.int64),
    }, tables)


def _from_hist_gradient_boosting(estimator: Any) -> ModelContents:
    kind = type(estimator).__name__
    params = _hist_objective(estimator)
    n_features = int(estimator.n_features_in_)
    column, categories = _hist_columns(estimator, n_features)
    trees = []
    for i, iteration in enumerate(estimator._predictors):
        for k, predictor in enumerate(iteration):
            trees.append(_hist_tree(predictor, column, categories, f"{kind} iteration {i}.{k}"))
    baseline = np.asarray(estimator._baseline_prediction, dtype=np.float64).ravel()
    return _contents(estimator, params, baseline, trees, baseline.shape[0], categories)
