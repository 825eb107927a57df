"""Draw one tree of a model with matplotlib alone (no graphviz)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import as_booster, axes_or_new, positive_int

# Leaves in these colors by the sign of their value: the direction they push the margin.
POSITIVE_LEAF = "#f4c7c3"
NEGATIVE_LEAF = "#c6dbef"
SPLIT_NODE = "#f2f2f2"


def tree_layout(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node positions: leaves on consecutive integer x from left to right, each split centred
    over its two children, y = -depth.

    ``left`` and ``right`` are child indices with -1 at leaves; node 0 is the root.
    """
    n = left.shape[0]
    x = np.zeros(n)
    y = np.zeros(n)
    next_leaf = 0
    # Iterative post-order walk, so deep leaf-wise trees do not hit the recursion limit.
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        node, children_done = stack.pop()
        if left[node] < 0:
            x[node] = next_leaf
            next_leaf += 1
        elif children_done:
            x[node] = 0.5 * (x[left[node]] + x[right[node]])
        else:
            y[left[node]] = y[right[node]] = y[node] - 1
            stack.append((node, True))
            stack.append((int(right[node]), False))
            stack.append((int(left[node]), False))
    return x, y


# A categorical split lists at most this many of the categories that go left.
MAX_LISTED_CATEGORIES = 4


def _split_label(booster, tree, node: int, precision: int) -> str:
    """``feature <= threshold`` for a numeric split; ``feature in {a, b}`` for a categorical
    one (the categories that go left; every other one goes right)."""
    feature = int(tree.feature[node])
    name = booster.feature_names[feature]
    table = tree.categories.get(int(node)) if getattr(tree, "categories", None) else None
    if table is None:
        return f"{name} <= {float(tree.threshold[node]):.{precision}g}"
    labels = getattr(booster, "categories", [None] * booster.n_features)[feature]
    codes = np.flatnonzero(np.asarray(table)[1:])
    names = [str(labels[c]) if labels is not None and c < len(labels) else str(c) for c in codes]
    listed = ", ".join(names[:MAX_LISTED_CATEGORIES])
    if len(names) > MAX_LISTED_CATEGORIES:
        listed += f", ... (+{len(names) - MAX_LISTED_CATEGORIES})"
    return f"{name} in {{{listed}}}"


def plot_tree(
    model: Any,
    tree_index: int = 0,
    ax=None,
    precision: int = 4,
    show_stats: bool = False,
    title: str | None = None,
):
    """Draw one tree: split nodes show ``feature <= threshold`` (``feature in {...}`` for a
    categorical split), edges say which way the rule and missing values go, leaves show their
    value.

    Parameters
    ----------
    model : Booster or fitted TreeBoost estimator
    tree_index : int
        Index into the model's trees (a multiclass model has ``num_class`` trees per round).
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the tree when omitted.
    precision : int
        Significant digits of thresholds and leaf values.
    show_stats : bool
        Add each split's gain and each node's cover.
    title : str, optional
        Default ``"tree <index>"`` (with its round and output for several outputs).

    Returns
    -------
    matplotlib Axes
    """
    booster = as_booster(model)
    n_trees = booster.num_trees()
    if n_trees == 0:
        raise ValueError("the model has no trees to plot")
    if isinstance(tree_index, bool) or not isinstance(tree_index, (int, np.integer)):
        raise TypeError(f"tree_index must be an integer, got {type(tree_index).__name__}")
    if not 0 <= tree_index < n_trees:
        raise ValueError(f"tree_index={tree_index} is out of range; valid: 0 to {n_trees - 1}")
    precision = positive_int("precision", precision)
    tree = booster.trees[tree_index]
    x, y = tree_layout(tree.left, tree.right)
    n_leaves = tree.n_leaves
    depth = int(-y.min())

    ax = axes_or_new(ax, figsize=(min(40.0, max(6.0, 1.6 * n_leaves)), max(3.0, 1.3 * (depth + 1))))
    fontsize = max(5.0, 9.0 * min(1.0, 12.0 / max(n_leaves, 1)))
    for node in range(tree.n_nodes):
        if tree.left[node] < 0:
            continue
        for child, rule in ((int(tree.left[node]), "yes"), (int(tree.right[node]), "no")):
            ax.plot([x[node], x[child]], [y[node], y[child]], color="#777777", lw=1, zorder=1)
            goes_left = child == tree.left[node]
            if bool(tree.default_left[node]) == goes_left:
                rule += ", missing"
            ax.text(0.5 * (x[node] + x[child]), 0.5 * (y[node] + y[child]), rule,
                    ha="center", va="center", fontsize=fontsize * 0.85, color="#555555",
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"},
                    zorder=2)  # fmt: skip

    for node in range(tree.n_nodes):
        stats = f"\ncover {tree.cover[node]:.{precision}g}" if show_stats else ""
        if tree.left[node] < 0:
            value = float(tree.value[node])
            label = f"leaf {value:.{precision}g}{stats}"
            color = POSITIVE_LEAF if value > 0 else NEGATIVE_LEAF
        else:
            if show_stats:
                stats = f"\ngain {tree.gain[node]:.{precision}g}" + stats
            label = _split_label(booster, tree, node, precision) + stats
            color = SPLIT_NODE
        ax.text(x[node], y[node], label, ha="center", va="center", fontsize=fontsize,
                bbox={"boxstyle": "round,pad=0.4", "fc": color, "ec": "#444444"},
                zorder=3, gid=f"node-{node}")  # fmt: skip

    ax.set_xlim(x.min() - 0.7, x.max() + 0.7)
    ax.set_ylim(y.min() - 0.5, 0.5)
    ax.set_axis_off()
    if title is None:
        title = f"tree {tree_index}"
        if booster.n_outputs > 1:
            round_index = tree_index // booster.n_outputs
            title += f" (round {round_index}, output {booster.tree_outputs[tree_index]})"
    if title:
        ax.set_title(title)
    return ax
