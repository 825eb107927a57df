"""Online boosting: split scores against brute force, oblivious trees, optimizers and slices,
equivalence with squared-error boosting, the model file, compress, TreeSHAP and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import treeboost as tb
from treeboost.online import SGD, Adam, OnlineBooster

EDGES = [np.array([-1.0, -0.3, 0.2, 0.9])] * 3


def _data(n=60, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    signal = np.column_stack([X[:, 1] > 0.2, X[:, 2] < -0.3, X[:, 0] > 0.0])
    grad = rng.normal(size=(n, k)) + signal[:, :k]
    return X, grad.astype(np.float32).astype(np.float64)


# -- brute force: every candidate split scored from the per-sample definitions ------------------
def _split_score_naive(g, masks, kind, scale):
    """Score of a partition of rows ``g`` (n, k) into ``masks`` (the children of every node)."""
    if kind == "l2":
        return sum(
            float(np.sum((scale * g[m].sum(axis=0)) ** 2) / m.sum()) for m in masks if m.any()
        )
    num = den = 0.0
    for m in masks:
        if m.any():
            mean = g[m].mean(axis=0)
            num += float(np.sum(g[m] @ mean))  # sum_i g_i . gbar
            den += float(m.sum() * mean @ mean)  # n |gbar|^2
    return num / np.sqrt(den) if den > 0 else 0.0


def _candidates(X):
    for f in range(X.shape[1]):
        for b, t in enumerate(EDGES[f]):
            yield f, b, X[:, f] <= t


def _grow_naive(X, g, depth, kind, oblivious):
    """(feature, bin) of every heap split node, by trying every candidate."""
    std = g.std(axis=0)
    scale = 1.0 / std if kind == "l2" else np.ones(g.shape[1])
    nodes = [np.ones(X.shape[0], dtype=bool)]
    chosen = []
    for _level in range(depth):
        parent = _split_score_naive(g, nodes, kind, scale)
        if oblivious:
            best = None
            for f, b, left in _candidates(X):
                masks = [m for node in nodes for m in (node & left, node & ~left)]
                if not any((node & left).any() and (node & ~left).any() for node in nodes):
                    continue
                gain = _split_score_naive(g, masks, kind, scale) - parent
                if best is None or gain > best[0] + 1e-6 * abs(best[0]):
                    best = (gain, f, b, left)
            chosen += [(best[1], best[2])] * len(nodes)
            nodes = [m for node in nodes for m in (node & best[3], node & ~best[3])]
            continue
        children = []
        for node in nodes:
            base = _split_score_naive(g, [node], kind, scale)
            best = None
            for f, b, left in _candidates(X):
                if not (node & left).any() or not (node & ~left).any():
                    continue
                gain = _split_score_naive(g, [node & left, node & ~left], kind, scale) - base
                if best is None or gain > best[0] + 1e-6 * abs(best[0]):
                    best = (gain, f, b, left)
            chosen.append((best[1], best[2]))
            children += [node & best[3], node & ~best[3]]
        nodes = children
    return chosen


@pytest.mark.parametrize("kind", ["l2", "cosine"])
@pytest.mark.parametrize("policy", ["greedy", "oblivious"])
def test_splits_match_brute_force(kind, policy):
    X, g = _data()
    model = OnlineBooster(2, max_depth=2, grow_policy=policy, split_score=kind, bin_edges=EDGES)
    info = model.step(X, g)
    expected = _grow_naive(X, g, 2, kind, policy == "oblivious")
    got = [(int(f), int(b)) for f, b in zip(info["features"], model.tree_arrays(0)["split_bins"])]
    assert got == expected
    # The gain of the root is the brute-force gain.
    scale = 1.0 / g.std(axis=0) if kind == "l2" else np.ones(2)
    f, b = expected[0]
    left = X[:, f] <= EDGES[f][b]
    root = np.ones(len(X), dtype=bool)
    naive_gain = _split_score_naive(g, [left, ~left], kind, scale) - _split_score_naive(
        g, [root], kind, scale
    )
    assert info["gains"][0] == pytest.approx(naive_gain, rel=1e-6)


def test_cosine_is_the_formula_of_the_issue():
    # (sum_L g.gbar_L + sum_R g.gbar_R) / sqrt(n_L |gbar_L|^2 + n_R |gbar_R|^2) for one split.
    rng = np.random.default_rng(3)
    g = rng.normal(size=(10, 3))
    left = np.arange(10) < 4
    gl, gr = g[left].mean(axis=0), g[~left].mean(axis=0)
    by_hand = (np.sum(g[left] @ gl) + np.sum(g[~left] @ gr)) / np.sqrt(4 * gl @ gl + 6 * gr @ gr)
    assert _split_score_naive(g, [left, ~left], "cosine", None) == pytest.approx(by_hand)


def test_oblivious_tree_has_one_split_per_level_and_predicts_by_leaf_index():
    X, g = _data(n=200, k=2, seed=1)
    model = OnlineBooster(2, max_depth=3, grow_policy="oblivious", optimizers=SGD(1.0))
    info = model.step(X, g)
    features, thresholds = info["features"], info["thresholds"]
    for level in range(3):
        nodes = range((1 << level) - 1, (2 << level) - 1)
        live = [n for n in nodes if features[n] >= 0]
        assert len({(features[n], thresholds[n]) for n in live}) == 1
    # Leaf index = the bits "went right" level by level, wherever every node split.
    if (features >= 0).all():
        bits = [X[:, features[(1 << d) - 1]] > thresholds[(1 << d) - 1] for d in range(3)]
        leaf = bits[0] * 4 + bits[1] * 2 + bits[2]
        np.testing.assert_allclose(model.predict(X), info["leaf_values"][leaf])


def test_leaf_values_per_slice_and_optimizer():
    X, g = _data(n=300, k=3, seed=2)
    adam = Adam(0.01, start=2, beta2=0.9)
    model = OnlineBooster(3, max_depth=2, optimizers=[SGD(0.05, 0, 2), adam], init_bias=[0, 0, 1])
    info = model.step(X, g)
    pred = model.predict(X)
    leaf = np.array([np.flatnonzero(np.all(pred == row, axis=1))[0] for row in pred])
    g32 = g.astype(np.float32).astype(np.float64)
    for value_row in np.unique(leaf):
        rows = leaf == value_row
        mean = g32[rows].mean(axis=0)
        np.testing.assert_allclose(pred[rows][0, :2], -0.05 * mean[:2], rtol=1e-9)
        # First Adam step: v_hat is the batch's mean squared gradient.
        rms = np.sqrt(np.mean(g32[:, 2] ** 2))
        np.testing.assert_allclose(pred[rows][0, 2], 1 - 0.01 * mean[2] / (rms + 1e-8), rtol=1e-6)
    assert info["leaf_counts"].sum() == 300


def test_shared_and_separate_heads_predict_the_same_shape():
    X, g = _data(n=128, k=3, seed=4)
    shared = OnlineBooster(3, optimizers=[SGD(0.05, 0, 2), Adam(0.01, 2, 3)])
    shared.step(X, g)
    actor, critic = OnlineBooster(2, optimizers=SGD(0.05)), OnlineBooster(1, optimizers=Adam(0.01))
    actor.step(X, g[:, :2])
    critic.step(X, g[:, 2:])
    assert shared.predict(X).shape == (128, 3)
    assert np.column_stack([actor.predict(X), critic.predict(X)]).shape == (128, 3)


def test_steps_equal_squared_error_boosting_on_the_same_bins():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(400, 4))
    y = X[:, 0] * 2 + np.sin(3 * X[:, 1]) + 0.3 * rng.normal(size=400)
    dtrain = tb.Dataset(X, label=y, max_bin=32)
    params = {"objective": "reg:squarederror", "learning_rate": 1.0, "reg_lambda": 0.0,
              "max_depth": 3, "base_score": 0.0}  # fmt: skip
    booster = tb.train(params, dtrain, num_boost_round=6)
    online = OnlineBooster(1, max_depth=3, split_score="l2", optimizers=SGD(1.0),
                           bin_edges=dtrain.bin_mapper)  # fmt: skip
    for _ in range(6):
        online.step(X, online.predict(X) - y[:, None])
    np.testing.assert_allclose(online.predict(X)[:, 0], booster.predict(X), rtol=1e-6, atol=1e-6)
    for mine, theirs in zip(online.to_booster().trees, booster.trees, strict=True):
        for name in ("left", "right", "feature", "split_bin", "threshold"):
            np.testing.assert_array_equal(getattr(mine, name), getattr(theirs, name), err_msg=name)
        np.testing.assert_allclose(mine.value, theirs.value, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("policy", ["greedy", "oblivious"])
def test_save_load_round_trip(tmp_path, policy):
    X, g = _data(n=256, k=3, seed=6)
    X[::17, 1] = np.nan
    optimizers = [SGD(0.05, 0, 2), Adam(0.01, 2)]
    model = OnlineBooster(
        3, max_depth=3, grow_policy=policy, optimizers=optimizers, init_bias=[0.1, 0.2, 0.3]
    )
    for i in range(4):
        model.step(X, g * (i + 1))
    path = tmp_path / "online.json"
    model.save_model(path)
    loaded = OnlineBooster.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # The optimizer state came along: the next step is the same in both.
    model.step(X, g)
    loaded.step(X, g)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    # The embedded model is an ordinary treeboost model file.
    import json

    inner = json.dumps(json.loads(path.read_text())["model"])
    np.testing.assert_allclose(tb.Booster.load_model(inner).predict(X)[:, 0],
                               OnlineBooster.load_model(path).predict(X)[:, 0])  # fmt: skip


def test_load_rejects_a_tampered_file(tmp_path):
    X, g = _data()
    model = OnlineBooster(2)
    model.step(X, g)
    path = tmp_path / "m.json"
    model.save_model(path)
    open_text = path.read_text()
    text = open_text.replace('"grow_policy":"greedy"', '"grow_policy":"wide"')
    with pytest.raises(ValueError, match="grow_policy"):
        OnlineBooster.load_model(text)
    with pytest.raises(ValueError, match="format"):
        OnlineBooster.load_model(open_text.replace("treeboost-online", "other"))


def test_compress_folds_the_oldest_trees_into_the_bias():
    X, g = _data(n=200, k=2, seed=7)
    model = OnlineBooster(2, max_depth=3, optimizers=SGD(0.3))
    for i in range(5):
        model.step(X, g + i)
    newest = [model.tree_arrays(i) for i in (3, 4)]
    before = model.predict(X)
    assert model.compress(2) == 3
    assert model.n_trees == 2
    # Each folded tree's mean over its own batch is kept exactly: so the batch mean is too.
    np.testing.assert_allclose(model.predict(X).mean(axis=0), before.mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(model.tree_arrays(0)["leaves"], newest[0]["leaves"])
    capped = OnlineBooster(2, max_trees=3)
    for _ in range(5):
        info = capped.step(X, g)
    assert capped.n_trees == 3 and capped.folded_trees == 2 and info["tree"] == 2


def test_treeshap_sums_to_predictions():
    from treeboost.explain import shap_values

    X, g = _data(n=300, k=3, seed=8)
    for policy in ("greedy", "oblivious"):
        model = OnlineBooster(3, max_depth=4, grow_policy=policy, init_bias=0.5)
        for i in range(3):
            model.step(X, g - 0.2 * i)
        booster = model.to_booster()
        assert booster.tree_outputs == [0, 1, 2] * 3
        contribs = booster.predict(X[:20], pred_contribs=True)
        np.testing.assert_allclose(contribs.sum(axis=-1), model.predict(X[:20]), atol=1e-10)
        result = shap_values(booster, X[:20])
        np.testing.assert_allclose(result.values.sum(axis=-1) + result.base_values,
                                   model.predict(X[:20]), atol=1e-10)  # fmt: skip


def test_predict_one_state_and_growth():
    X, g = _data(n=64, k=2, seed=9)
    model = OnlineBooster(2, max_depth=2)
    np.testing.assert_array_equal(model.predict(X[0]), np.zeros((1, 2)))
    for _ in range(70):  # past the first doubling of the arrays
        model.step(X, g)
    np.testing.assert_allclose(model.predict(X[0]), model.predict(X)[:1])


def test_uniform_binning_and_hessians():
    X, g = _data(n=100, k=1, seed=10)
    model = OnlineBooster(1, max_depth=1, binning="uniform", max_bin=4, optimizers=SGD(1.0))
    info = model.step(X, g, hess=np.full(100, 2.0))
    f = info["features"][0]
    lo, hi = X[:, f].min(), X[:, f].max()
    assert info["thresholds"][0] in np.linspace(lo, hi, 5)[1:-1]
    left = X[:, f] <= info["thresholds"][0]
    g32 = g.astype(np.float32)[:, 0]
    assert info["leaf_values"][0, 0] == pytest.approx(-g32[left].sum() / (2.0 * left.sum()))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda m, X, g: m.step(X, g[:, :1]), ValueError, r"grad has shape \(50, 1\).*\(50, 2\)"),
        (lambda m, X, g: m.step(X, np.where(np.eye(50, 2), np.nan, g)), ValueError,
         r"grad\[0, 0\] = nan"),
        (lambda m, X, g: m.step(X, g + np.inf), ValueError, r"grad\[0, 0\] = inf"),
        (lambda m, X, g: m.step(X, g, hess=-np.ones((50, 2))), ValueError, r"hess\[0, 0\]"),
        (lambda m, X, g: m.step(X[:, :2], g), ValueError, "X has 2 columns.*n_features=3"),
        (lambda m, X, g: m.predict(np.ones((2, 4))), ValueError, "X has 4 columns"),
        (lambda m, X, g: m.step(X, "abc"), TypeError, "grad must be a numeric array"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line(call, error, match):
    X, g = _data(n=50, k=2)
    model = OnlineBooster(2, n_features=3)
    with pytest.raises(error, match=match) as exc:
        call(model, X, g)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"optimizers": [SGD(0.1, 0, 2), SGD(0.1, 1, 3)]}, ValueError, "overlaps optimizers"),
        ({"optimizers": [SGD(0.1, 0, 2)]}, ValueError, r"leave outputs \[2\] without"),
        ({"optimizers": [SGD(0.1, 0, 5)]}, ValueError, "valid outputs are 0..2"),
        ({"optimizers": "adam"}, TypeError, "optimizers must be an Optimizer"),
        ({"grow_policy": "lossguide"}, ValueError, "grow_policy='lossguide'.*'oblivious'"),
        ({"split_score": "gini"}, ValueError, "split_score='gini'"),
        ({"max_depth": 0}, ValueError, "max_depth"),
        ({"init_bias": [1, 2]}, ValueError, "init_bias"),
        ({"bin_edges": [np.array([1.0, 0.0])]}, ValueError, r"bin_edges\[0\].*increasing"),
    ],
)
def test_bad_configuration_is_one_clear_line(kwargs, error, match):
    with pytest.raises(error, match=match) as exc:
        OnlineBooster(3, **kwargs)
    assert "\n" not in str(exc.value)


def test_optimizer_arguments_are_checked():
    with pytest.raises(ValueError, match="lr must be a positive"):
        SGD(-1.0)
    with pytest.raises(ValueError, match="stop must be greater than start"):
        Adam(0.1, start=2, stop=2)


@pytest.mark.parametrize("policy", ["greedy", "oblivious"])
def test_tiny_batches_deep_trees_agree_with_the_booster_walk(policy):
    # Nodes with one row or none: the compact walk and the Booster's node walk agree anywhere.
    rng = np.random.default_rng(11)
    model = OnlineBooster(2, max_depth=4, grow_policy=policy, optimizers=SGD(0.5))
    for _ in range(5):
        X = rng.normal(size=(6, 3))
        model.step(X, rng.normal(size=(6, 2)))
    probe = rng.normal(size=(500, 3))
    probe[::7, 0] = np.nan
    np.testing.assert_allclose(model.to_booster().predict(probe), model.predict(probe), atol=1e-12)
