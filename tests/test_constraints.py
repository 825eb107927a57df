"""Monotone and interaction constraints: honoured exactly by every learned tree."""

from __future__ import annotations

import numpy as np
import pytest

import treeboost as tb
from treeboost.tree.constraints import resolve_interactions, resolve_monotone


def _data(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, 4))
    # Non-monotone truth in features 0 and 1, so an unconstrained model breaks the direction.
    y = np.sin(2 * X[:, 0]) + X[:, 0] - np.cos(3 * X[:, 1]) - X[:, 1] + X[:, 2] * X[:, 3]
    y += 0.3 * rng.normal(size=n)
    X[rng.random(size=X.shape) < 0.05] = np.nan
    return X, y


def _violations(booster, feature, direction, rng, n=2000):
    """Largest step against ``direction`` when only ``feature`` moves, over random rows."""
    base = rng.uniform(-2.5, 2.5, size=(n, 4))
    grid = np.linspace(-2.5, 2.5, 25)
    preds = []
    for value in grid:
        X = base.copy()
        X[:, feature] = value
        preds.append(booster.predict(X))
    steps = np.diff(np.column_stack(preds), axis=1) * direction
    return -steps.min()


@pytest.mark.parametrize("grow_policy", ["depthwise", "lossguide"])
def test_monotone_constraints_hold_on_random_inputs(grow_policy):
    X, y = _data()
    params = {
        "monotone_constraints": [1, -1, 0, 0],
        "grow_policy": grow_policy,
        "max_leaves": 31 if grow_policy == "lossguide" else 0,
        "max_depth": 6,
        "learning_rate": 0.3,
        "subsample": 0.8,
        "colsample_bynode": 0.8,
    }
    booster = tb.train(params, tb.Dataset(X, label=y), 40)
    rng = np.random.default_rng(1)
    assert _violations(booster, 0, +1, rng) <= 0.0
    assert _violations(booster, 1, -1, rng) <= 0.0
    free = tb.train({**params, "monotone_constraints": None}, tb.Dataset(X, label=y), 40)
    assert _violations(free, 0, +1, rng) > 0.0, "the data must tempt a free model"
    # The constraint costs little accuracy on the monotone part of the signal.
    assert np.mean((booster.predict(X) - y) ** 2) < np.var(y)


def test_monotone_forms_are_equivalent():
    X, y = _data(800)
    names = ["a", "b", "c", "d"]
    forms = [[1, -1, 0, 0], "(1,-1,0,0)", {"a": 1, "b": -1}, {0: 1, 1: -1}]
    preds = [
        tb.train(
            {"monotone_constraints": form}, tb.Dataset(X, label=y, feature_names=names), 10
        ).predict(X)
        for form in forms
    ]
    for p in preds[1:]:
        np.testing.assert_array_equal(p, preds[0])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 0], "has 2 entries; the data has 4"),
        ([2, 0, 0, 0], "valid: -1, 0, 1"),
        ({"zz": 1}, "'zz' is not a feature name"),
        ("1,x", "is not a list"),
    ],
)
def test_monotone_errors(value, message):
    with pytest.raises(ValueError, match=message):
        resolve_monotone(value, ["a", "b", "c", "d"])


def test_monotone_rejected_with_quantile_refits():
    X, y = _data(200)
    with pytest.raises(ValueError, match="cannot be combined"):
        tb.train(
            {
                "objective": "reg:quantileerror",
                "quantile_alpha": 0.5,
                "monotone_constraints": [1, 0, 0, 0],
            },
            tb.Dataset(X, label=y),
            1,
        )


def _paths(tree):
    """Feature sets of every root-to-leaf path."""
    out = []
    stack = [(0, frozenset())]
    while stack:
        node, used = stack.pop()
        if tree.left[node] < 0:
            out.append(used)
            continue
        used = used | {int(tree.feature[node])}
        stack.extend(((int(tree.left[node]), used), (int(tree.right[node]), used)))
    return out


def test_interaction_constraints_hold_on_every_path():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 6))
    y = X[:, 0] * X[:, 3] + X[:, 1] * X[:, 4] + X[:, 2] * X[:, 5] + 0.1 * rng.normal(size=3000)
    groups = [[0, 1, 2], [3, 4], ["f5"]]
    booster = tb.train(
        {"interaction_constraints": groups, "max_depth": 6}, tb.Dataset(X, label=y), 30
    )
    allowed = [frozenset({0, 1, 2}), frozenset({3, 4}), frozenset({5})]
    n_paths = 0
    for tree in booster.trees:
        for path in _paths(tree):
            n_paths += 1
            assert any(path <= group for group in allowed), path
    assert n_paths > 100
    free = tb.train({"max_depth": 6}, tb.Dataset(X, label=y), 30)
    mixed = [p for t in free.trees for p in _paths(t) if not any(p <= g for g in allowed)]
    assert mixed, "the data must tempt a free model to mix groups"


def test_interaction_constraints_parse_and_errors():
    names = ["a", "b", "c"]
    assert resolve_interactions([["a", "b"]], names) == (frozenset({0, 1}), frozenset({2}))
    with pytest.raises(ValueError, match="out of range"):
        resolve_interactions([[0, 7]], names)
    X = np.random.default_rng(0).normal(size=(50, 3))
    d = tb.Dataset(X, label=X[:, 0])
    assert tb.train({"interaction_constraints": "[[0, 1], [2]]"}, d, 2).num_trees() == 2
    with pytest.raises(TypeError, match="list of feature groups"):
        tb.train({"interaction_constraints": [0, 1]}, d, 1)
