"""What every converter of a foreign model needs: trees from child lists, and the contents.

Two functions, shared by the XGBoost, LightGBM and scikit-learn converters:

- :func:`tree_from_nodes` builds a :class:`~treeboost.tree.tree.Tree` from per-node lists in
  the foreign library's own node numbering (kept, so that leaf indices match that library's)
  and checks that they form one tree whose children come after their parent, as the forest's
  walks and the model file require.
- :func:`model_contents` builds :class:`~treeboost.model.model_file.ModelContents` from an
  objective name, its parameters and the trees, through the same parameter validation as a
  model file, so that a converted model can be saved and read back like a trained one.

Both raise ``ValueError`` with a one-line message starting with the ``source`` they are given
(``"invalid XGBoost model"``, ...), never another exception type for bad input.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.model_file import ModelContents, objective_for_params
from ..model.params import validate_params
from ..tree.tree import NODE_ARRAYS, Tree

__all__ = ["model_contents", "tree_from_nodes"]


def _fail(source: str, where: str, message: str) -> ValueError:
    return ValueError(" ".join(f"{source}: {where}: {message}".split()))


def tree_from_nodes(
    left: Any,
    right: Any,
    feature: Any,
    threshold: Any,
    default_left: Any,
    value: Any,
    cover: Any,
    *,
    gain: Any = None,
    sample_count: Any = None,
    categorical: dict[int, tuple[int, Any]] | None = None,
    n_features: int,
    source: str = "invalid model",
    where: str = "tree",
) -> Tree:
    """One tree from per-node arrays (leaves have ``left == right == -1``).

    Parameters
    ----------
    left, right : array-like of int
        Child indices, ``-1`` at leaves. Node 0 is the root; every other node must be the child
        of exactly one node, and children must come after their parent.
    feature : array-like of int
        Split feature per node (ignored at leaves, stored as ``-1``).
    threshold : array-like of float
        Numeric rule ``x <= threshold`` goes left (ignored at leaves and categorical splits).
        The caller converts the foreign comparison into this one.
    default_left : array-like of bool
        Where a missing value goes (ignored at leaves).
    value : array-like of float
        What a leaf adds to the margin (learning rate and any tree weight applied); the node's
        own weight at split nodes.
    cover : array-like of float
        Sum of training hessians per node (TreeSHAP's weights).
    gain, sample_count : array-like, optional
        Split gain and training rows per node; zeros when the source has none.
    categorical : dict, optional
        ``{node: (n_categories, codes going left)}`` for categorical splits; every other code,
        and a code the model never saw, goes right, and a missing value follows
        ``default_left``.
    n_features : int
        Number of input features, to check the split features against.
    source, where : str
        The start of error messages and the tree's name in them.

    Returns
    -------
    Tree
    """
    try:
        left = np.asarray(left, dtype=np.int64).ravel()
        right = np.asarray(right, dtype=np.int64).ravel()
        n = left.shape[0]
        zeros = np.zeros(n)
        cols = {
            "feature": np.asarray(feature, dtype=np.int64).ravel(),
            "threshold": np.asarray(threshold, dtype=np.float64).ravel(),
            "default_left": np.asarray(default_left, dtype=np.int64).ravel(),
            "value": np.asarray(value, dtype=np.float64).ravel(),
            "cover": np.asarray(cover, dtype=np.float64).ravel(),
            "gain": zeros if gain is None else np.asarray(gain, dtype=np.float64).ravel(),
            "sample_count": (
                zeros.astype(np.int64)
                if sample_count is None
                else np.asarray(sample_count, dtype=np.int64).ravel()
            ),
        }
    except (TypeError, ValueError, OverflowError) as exc:
        raise _fail(source, where, f"node arrays are not numeric ({exc})") from None
    if n == 0:
        raise _fail(source, where, "has no nodes")
    for name, col in (("right", right), *cols.items()):
        if col.shape[0] != n:
            raise _fail(source, where, f"{name} has {col.shape[0]} entries, expected {n}")
    for name in ("threshold", "value", "cover", "gain"):
        if not np.all(np.isfinite(cols[name])):
            raise _fail(source, where, f"{name} holds a non-finite number")
    _check_shape(left, right, n, source, where)
    leaf = left < 0
    split = ~leaf
    feature = cols["feature"]
    if np.any((feature[split] < 0) | (feature[split] >= n_features)):
        raise _fail(source, where, f"a split feature is out of range [0, {n_features})")
    tables = {}
    for node, (n_cats, codes) in (categorical or {}).items():
        node = int(node)
        if not 0 <= node < n or leaf[node]:
            raise _fail(source, where, f"categorical split names node {node}, not a split node")
        codes = np.asarray(codes, dtype=np.int64).ravel()
        if n_cats < 0 or np.any((codes < 0) | (codes >= n_cats)):
            raise _fail(source, where, f"node {node}: a category code is out of [0, {n_cats})")
        table = np.zeros(int(n_cats) + 1, dtype=np.uint8)
        table[0] = 1 if cols["default_left"][node] else 0
        table[1 + codes] = 1
        tables[node] = table
    feature = np.where(leaf, -1, feature)
    is_cat = np.zeros(n, dtype=bool)
    is_cat[list(tables)] = True
    columns = {
        "left": left,
        "right": right,
        "feature": feature,
        "threshold": np.where(leaf | is_cat, 0.0, cols["threshold"]),
        # Foreign models carry no bins: 1 marks a numeric split; prediction reads thresholds.
        "split_bin": np.where(leaf | is_cat, 0, 1),
        "default_left": np.where(leaf, 0, cols["default_left"] != 0),
        "value": cols["value"],
        "cover": cols["cover"],
        "gain": np.where(leaf, 0.0, cols["gain"]),
        "sample_count": np.maximum(cols["sample_count"], 0),
    }
    return Tree(
        **{name: np.ascontiguousarray(columns[name], dtype=dt) for name, dt in NODE_ARRAYS.items()},
        categories=tables,
    )


def _check_shape(left: np.ndarray, right: np.ndarray, n: int, source: str, where: str) -> None:
    """Node 0 is the root, children come after their parent, every other node has one parent."""
    leaf = left < 0
    if np.any((left < 0) != (right < 0)) or np.any(left < -1) or np.any(right < -1):
        raise _fail(source, where, "a node must have two children or none")
    nodes = np.arange(n)
    split = ~leaf
    if np.any(left[split] >= n) or np.any(right[split] >= n):
        raise _fail(source, where, f"a child index is out of range [0, {n})")
    if np.any(left[split] <= nodes[split]) or np.any(right[split] <= nodes[split]):
        raise _fail(
            source,
            where,
            "a child comes before its parent (deleted or reordered nodes are not supported)",
        )
    children = np.concatenate([left[split], right[split]])
    if children.size != n - 1 or np.unique(children).size != children.size:
        raise _fail(source, where, "the nodes do not form one tree (unreachable or shared nodes)")


def model_contents(
    objective: str,
    objective_params: dict[str, Any],
    base_margin: Any,
    feature_names: list[str],
    feature_types: list[str],
    categories: list,
    trees: list[Tree],
    tree_outputs: list[int],
    *,
    source: str = "invalid model",
) -> ModelContents:
    """A converted model as :class:`~treeboost.model.model_file.ModelContents`.

    Parameters
    ----------
    objective : str
        A treeboost objective name (``treeboost.objectives.OBJECTIVE_NAMES``).
    objective_params : dict
        Parameters under treeboost's names that the objective or the layout reads
        (``num_class``, ``num_target``, ``quantile_alpha``, ``num_parallel_tree``,
        ``booster``, ...); every other parameter takes its default.
    base_margin : array-like of float
        The starting margin of every output (margin space, not prediction space).
    feature_names, feature_types : list of str
        One per input column; types are ``"float"`` or ``"c"``.
    categories : list
        Per feature, its category labels in code order (``"c"`` features) or None.
    trees, tree_outputs : list
        The trees in treeboost's order (round by round, within a round one tree per output in
        output order, repeated ``num_parallel_tree`` times) and the output of each.
    source : str
        The start of error messages.

    Returns
    -------
    ModelContents
    """
    try:
        params = validate_params({"objective": objective, **objective_params})
        params.pop("n_jobs", None)
        model_objective = objective_for_params(params)
    except (TypeError, ValueError) as exc:
        raise _fail(source, "objective", str(exc)) from None
    k = int(model_objective.n_outputs)
    margin = np.asarray(base_margin, dtype=np.float64).ravel()
    if margin.size == 1 and k > 1:
        margin = np.repeat(margin, k)
    if margin.size != k or not np.all(np.isfinite(margin)):
        raise _fail(source, "base margin", f"needs {k} finite values, got {margin.tolist()}")
    n = len(feature_names)
    if n == 0 or len(set(feature_names)) != n or len(feature_types) != n or len(categories) != n:
        raise _fail(source, "features", "names must be distinct, one type and category per name")
    per_round = k * int(params.get("num_parallel_tree", 1) or 1)
    if len(trees) != len(tree_outputs) or len(trees) % per_round:
        raise _fail(source, "trees", f"{len(trees)} trees is not a multiple of {per_round}")
    if any(int(o) != i % k for i, o in enumerate(tree_outputs)):
        raise _fail(source, "trees", "trees are not in round / output order")
    return ModelContents(
        objective=model_objective,
        base_margin=margin,
        feature_names=list(feature_names),
        feature_types=list(feature_types),
        categories=list(categories),
        params=params,
        trees=list(trees),
        tree_outputs=[int(o) for o in tree_outputs],
    )
