"""XGBoost models read into treeboost, and treeboost models written as XGBoost JSON.

Agreement with the live library is measured on float32 data (XGBoost's own input type): margins
within 1e-6 (XGBoost adds its trees in float32, treeboost in float64), leaf indices equal, TreeSHAP
within 1e-5. The file readers and the threshold rules are also tested without xgboost.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import treeboost as tb
from treeboost.interop.xgboost import (
    contents_from_xgboost,
    read_ubjson,
    thresholds_from_xgboost,
    thresholds_to_xgboost,
)
from treeboost.model.booster import Booster

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lightgbm-examples"
MARGIN_TOL = 1e-6
SHAP_TOL = 1e-5


def _xgb():
    xgb = pytest.importorskip("xgboost")
    warnings.filterwarnings("ignore", module="xgboost")
    return xgb


def _example(folder: str, name: str, rows: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    path = SHARED / folder / name
    if not path.exists():
        pytest.skip(f"shared data {path} is absent")
    pd = pytest.importorskip("pandas")
    table = pd.read_csv(path, sep="\t", header=None).to_numpy()[:rows]
    return table[:, 1:].astype(np.float32), table[:, 0]


def _agreement(bst, booster: Booster, X, dmatrix, n: int = 400) -> dict[str, float]:
    """Largest differences between XGBoost and the converted model on the first n rows."""
    xgb = _xgb()
    rows = X.iloc[:n] if hasattr(X, "iloc") else X[:n]
    dm = (
        xgb.DMatrix(rows, enable_categorical=True)
        if dmatrix is None
        else dmatrix.slice(np.arange(min(n, dmatrix.num_row())))
    )
    m_xgb = bst.predict(dm, output_margin=True)
    m_tb = booster.predict(rows, output_margin=True)
    leaves_xgb = bst.predict(dm, pred_leaf=True).astype(np.int64)
    leaves_tb = booster.predict(rows, pred_leaf=True)
    c_xgb = bst.predict(dm, pred_contribs=True)
    c_tb = booster.predict(rows, pred_contribs=True)
    return {
        "margin": float(np.max(np.abs(m_xgb - m_tb.reshape(m_xgb.shape)))),
        "leaf_mismatches": int(np.sum(leaves_xgb.reshape(leaves_tb.shape) != leaves_tb)),
        "shap": float(np.max(np.abs(c_xgb - c_tb.reshape(c_xgb.shape)))),
    }


def _check(diff: dict[str, float]) -> None:
    assert diff["margin"] <= MARGIN_TOL, diff
    assert diff["leaf_mismatches"] == 0, diff
    assert diff["shap"] <= SHAP_TOL, diff


# -- thresholds, without xgboost -----------------------------------------------------------
def _float32_edges(rng) -> np.ndarray:
    c = rng.normal(scale=10.0, size=400).astype(np.float32)
    tiny = np.float32(np.finfo(np.float32).smallest_subnormal)
    big = np.finfo(np.float32).max
    extra = np.array([0.0, -0.0, tiny, -tiny, 1.0, -1.0, big, -big, 0.5, 2.0**-126], np.float32)
    return np.concatenate([c, extra])


def test_thresholds_from_xgboost_reproduce_float32_rounding_for_float64_input():
    c = _float32_edges(np.random.default_rng(0))
    t = thresholds_from_xgboost(c)
    with np.errstate(over="ignore"):
        below = np.nextafter(c, np.float32(-np.inf)).astype(np.float64)
    mid = (below + c.astype(np.float64)) / 2
    finite = np.isfinite(mid)
    # Probe values at and around the rounding boundary, and on both float32 neighbours.
    probes = [mid, np.nextafter(mid, np.inf), np.nextafter(mid, -np.inf), below, c.astype(float)]
    for x in probes:
        x = np.where(finite, x, 0.0)
        with np.errstate(over="ignore"):
            expected = x.astype(np.float32) < c
        assert np.array_equal(x <= t, expected)


def test_thresholds_to_xgboost_keep_every_float32_decision():
    rng = np.random.default_rng(1)
    t = np.concatenate([rng.normal(scale=5.0, size=300), [0.0, -0.0, 1e-300, -1e-300, 3.0]])
    c = thresholds_to_xgboost(t)
    t32 = t.astype(np.float32)
    for x in (t32, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf))):
        assert np.array_equal(x < c, x.astype(np.float64) <= t)


def test_ubjson_reader_on_hand_built_document():
    doc = (
        b"{i\x01aSi\x02hi"  # "a": "hi"
        b"i\x01b[$d#i\x02"
        + np.array([1.5, -2.0], ">f4").tobytes()  # float32 typed array
        + b"i\x01c[i\x05TFZ]"  # [5, true, false, null]
        + b"i\x01d{}"
        + b"}"
    )
    value = read_ubjson(doc)
    assert value["a"] == "hi"
    assert value["b"].dtype == np.float32 and value["b"].tolist() == [1.5, -2.0]
    assert value["c"] == [5, True, False, None]
    assert value["d"] == {}
    with pytest.raises(ValueError, match="truncated"):
        read_ubjson(doc[:-3])


# -- against the live library ----------------------------------------------------------------
def test_binary_classification_matches_xgboost():
    xgb = _xgb()
    X, y = _example("binary_classification", "binary.train")
    bst = xgb.train({"objective": "binary:logistic", "max_depth": 4}, xgb.DMatrix(X, y), 20)
    booster = Booster.from_xgboost(bst)
    _check(_agreement(bst, booster, X, None))
    np.testing.assert_allclose(
        booster.predict(X[:200]), bst.predict(xgb.DMatrix(X[:200])), atol=1e-6
    )


def test_regression_with_missing_values_matches_xgboost():
    xgb = _xgb()
    X, y = _example("regression", "regression.train")
    X = X.copy()
    X[np.random.default_rng(2).random(X.shape) < 0.15] = np.nan
    bst = xgb.train({"max_depth": 5, "learning_rate": 0.2}, xgb.DMatrix(X, y), 20)
    booster = Booster.from_xgboost(bst)
    _check(_agreement(bst, booster, X, None))
    # Both directions for missing values occur, so the NaN rule is exercised.
    tree = booster.trees[0]
    split = tree.left >= 0
    assert 0 < tree.default_left[split].sum() < split.sum() or booster.num_trees() > 1


def test_multiclass_matches_xgboost():
    xgb = _xgb()
    X, y = _example("multiclass_classification", "multiclass.train")
    params = {"objective": "multi:softprob", "num_class": 5, "max_depth": 3}
    bst = xgb.train(params, xgb.DMatrix(X, y), 8)
    booster = Booster.from_xgboost(bst)
    assert booster.n_outputs == 5 and booster.num_boosted_rounds() == 8
    _check(_agreement(bst, booster, X, None))
    np.testing.assert_allclose(
        booster.predict(X[:100]), bst.predict(xgb.DMatrix(X[:100])), atol=1e-6
    )


def test_multi_target_regression_matches_xgboost():
    xgb = _xgb()
    X, y = _example("regression", "regression.train", rows=1000)
    targets = np.column_stack([y, X[:, 0] * y])
    params = {"max_depth": 3, "multi_strategy": "one_output_per_tree"}
    bst = xgb.train(params, xgb.DMatrix(X, targets), 6)
    booster = Booster.from_xgboost(bst)
    assert booster.n_outputs == 2 and booster.tree_outputs[:4] == [0, 1, 0, 1]
    _check(_agreement(bst, booster, X, None))


def test_parallel_trees_of_several_outputs_are_regrouped_by_round():
    xgb = _xgb()
    X, y = _example("multiclass_classification", "multiclass.train", rows=600)
    params = {
        "objective": "multi:softprob",
        "num_class": 5,
        "max_depth": 2,
        "num_parallel_tree": 2,
        "subsample": 0.7,
    }
    bst = xgb.train(params, xgb.DMatrix(X, y), 2)
    booster = Booster.from_xgboost(bst)
    assert booster.tree_outputs == [0, 1, 2, 3, 4] * 4
    m = bst.predict(xgb.DMatrix(X), output_margin=True)
    assert np.max(np.abs(booster.predict(X, output_margin=True) - m)) <= MARGIN_TOL
    # XGBoost's round: two trees of class 0, two of class 1, ...; treeboost's: one per class.
    order = [r * 10 + c * 2 + j for r in range(2) for j in range(2) for c in range(5)]
    leaves = bst.predict(xgb.DMatrix(X), pred_leaf=True).reshape(len(X), -1)
    assert np.array_equal(booster.predict(X, pred_leaf=True), leaves[:, order])


def _categorical_table(rows: int = 1500):
    pd = pytest.importorskip("pandas")
    X, y = _example("binary_classification", "binary.train", rows=rows)
    labels = np.array(["low", "mid", "high", "top", "peak", "tail", "rare"])
    codes = np.digitize(X[:, 0], np.quantile(X[:, 0], [0.1, 0.3, 0.5, 0.7, 0.85, 0.95]))
    frame = pd.DataFrame(X[:, 1:6], columns=[f"x{i}" for i in range(5)])
    frame.insert(2, "band", pd.Categorical(labels[codes], categories=list(labels)))
    frame.loc[frame.index % 17 == 0, "band"] = np.nan
    return frame, y


def test_categorical_table_matches_xgboost():
    xgb = _xgb()
    frame, y = _categorical_table()
    model = xgb.XGBClassifier(
        n_estimators=15, max_depth=4, enable_categorical=True, max_cat_to_onehot=1
    ).fit(frame, y)
    booster = Booster.from_xgboost(model)
    assert booster.feature_types[2] == "c"
    assert booster.categories[2] == ["low", "mid", "high", "top", "peak", "tail", "rare"]
    assert any(tree.categories for tree in booster.trees)
    _check(_agreement(model.get_booster(), booster, frame, None))
    # The categories carry over: a frame with its categories in another order predicts the same.
    shuffled = frame.copy()
    shuffled["band"] = shuffled["band"].cat.reorder_categories(
        list(reversed(frame["band"].cat.categories))
    )
    np.testing.assert_array_equal(booster.predict(shuffled), booster.predict(frame))
    # A converted model saves and loads as a treeboost model file.
    again = Booster.load_model(booster.save_raw())
    np.testing.assert_array_equal(again.predict(frame), booster.predict(frame))
    # Exported again, the trees are XGBoost's own: same children, category lists and leaves.
    exported = json.loads(booster.to_xgboost_json())
    original = json.loads(model.get_booster().save_raw("json"))
    keys = ("left_children", "right_children", "default_left", "categories", "categories_nodes")
    for mine, theirs in zip(
        exported["learner"]["gradient_booster"]["model"]["trees"],
        original["learner"]["gradient_booster"]["model"]["trees"],
    ):
        assert {k: mine[k] for k in keys} == {k: theirs[k] for k in keys}


def test_float64_input_goes_where_xgboost_sends_it_after_rounding():
    xgb = _xgb()
    X, y = _example("regression", "regression.train", rows=1000)
    bst = xgb.train({"max_depth": 4}, xgb.DMatrix(X, y), 5)
    booster = Booster.from_xgboost(bst)
    # Rows whose values sit on, just above and just below each rounding boundary.
    conditions = np.array(
        [
            c
            for t in json.loads(bst.save_raw("json"))["learner"]["gradient_booster"]["model"][
                "trees"
            ]
            for c, left in zip(t["split_conditions"], t["left_children"])
            if left >= 0
        ],
        dtype=np.float32,
    )
    below = np.nextafter(conditions, np.float32(-np.inf)).astype(np.float64)
    mid = (below + conditions) / 2
    values = np.concatenate([mid, np.nextafter(mid, np.inf), np.nextafter(mid, -np.inf)])
    rows = np.tile(X[:1].astype(np.float64), (values.size * X.shape[1], 1))
    for f in range(X.shape[1]):
        rows[f * values.size : (f + 1) * values.size, f] = values
    expected = bst.predict(xgb.DMatrix(rows), pred_leaf=True)
    assert np.array_equal(booster.predict(rows, pred_leaf=True), expected)


def test_dart_weights_are_applied_to_leaves():
    xgb = _xgb()
    X, y = _example("binary_classification", "binary.train", rows=1500)
    params = {
        "objective": "binary:logistic",
        "booster": "dart",
        "rate_drop": 0.4,
        "skip_drop": 0.0,
        "max_depth": 3,
    }
    bst = xgb.train(params, xgb.DMatrix(X, y), 10)
    weights = json.loads(bst.save_raw("json"))["learner"]["gradient_booster"]["weight_drop"]
    assert any(w != 1.0 for w in weights)
    booster = Booster.from_xgboost(bst)
    assert booster.params["booster"] == "dart"
    _check(_agreement(bst, booster, X, None))


OBJECTIVES = [
    ("reg:squarederror", {}),
    ("reg:absoluteerror", {}),
    ("reg:squaredlogerror", {}),
    ("reg:pseudohubererror", {"huber_slope": 0.7}),
    ("reg:quantileerror", {"quantile_alpha": [0.2, 0.8]}),
    ("count:poisson", {}),
    ("reg:gamma", {}),
    ("reg:tweedie", {"tweedie_variance_power": 1.3}),
    ("binary:logistic", {"scale_pos_weight": 2.0}),
    ("binary:logitraw", {}),
    ("reg:logistic", {}),
    ("multi:softmax", {"num_class": 3}),
    ("rank:pairwise", {}),
    ("rank:ndcg", {"lambdarank_pair_method": "mean"}),
    ("rank:map", {}),
    ("survival:cox", {}),
    ("survival:aft", {"aft_loss_distribution": "logistic", "aft_loss_distribution_scale": 1.5}),
]


@pytest.mark.parametrize(("objective", "extra"), OBJECTIVES, ids=[o for o, _ in OBJECTIVES])
def test_every_objective_keeps_base_score_and_link(objective, extra):
    xgb = _xgb()
    rng = np.random.default_rng(3)
    X = rng.normal(size=(240, 4)).astype(np.float32)
    positive = np.abs(X[:, 0]) + rng.random(240) + 0.1
    label = {
        "binary": (X[:, 0] > 0).astype(float),
        "reg:logistic": (X[:, 0] > 0).astype(float),
        "multi": rng.integers(0, 3, 240),
        "rank:map": rng.integers(0, 2, 240),
        "rank": rng.integers(0, 3, 240),
    }
    y = next((v for k, v in label.items() if objective.startswith(k)), positive)
    if objective == "survival:cox":
        y = np.where(rng.random(240) < 0.3, -positive, positive)
    dm = xgb.DMatrix(X, None if objective == "survival:aft" else y)
    if objective == "survival:aft":
        dm.set_float_info("label_lower_bound", positive)
        dm.set_float_info("label_upper_bound", positive + 1.0)
    if objective.startswith("rank:"):
        dm.set_group([80, 80, 80])
    bst = xgb.train({"objective": objective, "max_depth": 3, **extra}, dm, 4)
    booster = Booster.from_xgboost(bst)
    expected = {"reg:logistic": "binary:logistic"}.get(objective, objective)
    assert booster.objective.name == expected
    margin = bst.predict(dm, output_margin=True)
    assert np.max(np.abs(booster.predict(X, output_margin=True) - margin)) <= MARGIN_TOL
    if objective != "multi:softmax":  # XGBoost returns class ids, treeboost probabilities
        np.testing.assert_allclose(
            booster.predict(X), bst.predict(dm).reshape(240, -1).squeeze(), rtol=1e-5, atol=1e-6
        )


def test_model_files_are_read_without_xgboost(tmp_path, monkeypatch):
    xgb = _xgb()
    frame, y = _categorical_table(rows=800)
    model = xgb.XGBClassifier(n_estimators=6, max_depth=3, enable_categorical=True).fit(frame, y)
    model.save_model(tmp_path / "m.json")
    model.save_model(tmp_path / "m.ubj")
    expected = model.predict(frame, output_margin=True)
    # An import of xgboost now fails: the readers must not need it.
    monkeypatch.setitem(sys.modules, "xgboost", None)
    for path in (tmp_path / "m.json", tmp_path / "m.ubj"):
        for source in (path, str(path), path.read_bytes()):
            booster = Booster.from_xgboost(source)
            got = booster.predict(frame, output_margin=True)
            assert np.max(np.abs(got - expected)) <= MARGIN_TOL
    from_text = Booster.from_xgboost((tmp_path / "m.json").read_text())
    from_dict = Booster.from_xgboost(json.loads((tmp_path / "m.json").read_text()))
    assert from_text.save_raw() == from_dict.save_raw()
    assert Booster.from_xgboost(tmp_path / "m.ubj").save_raw() == from_text.save_raw()


# -- export ------------------------------------------------------------------------------------
def _export_agreement(booster: Booster, X, tmp_path) -> dict[str, float]:
    xgb = _xgb()
    path = tmp_path / "exported.json"
    booster.to_xgboost_json(path)
    bst = xgb.Booster(model_file=str(path))
    dm = xgb.DMatrix(X, enable_categorical=True)
    return {
        "margin": float(
            np.max(
                np.abs(
                    bst.predict(dm, output_margin=True).reshape(len(X), -1)
                    - booster.predict(X, output_margin=True).reshape(len(X), -1)
                )
            )
        ),
        "leaf_mismatches": int(
            np.sum(
                bst.predict(dm, pred_leaf=True).reshape(len(X), -1)
                != booster.predict(X, pred_leaf=True)
            )
        ),
        "shap": 0.0,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"objective": "binary:logistic"},
        {"objective": "multi:softprob", "num_class": 3},
        {"objective": "count:poisson", "num_parallel_tree": 2, "subsample": 0.8},
        {"objective": "reg:squarederror", "booster": "dart", "rate_drop": 0.3},
    ],
    ids=["binary", "multiclass", "poisson-parallel", "dart"],
)
def test_export_round_trip_through_xgboost(params, tmp_path):
    X, y = _example("binary_classification", "binary.train", rows=1500)
    X = X.copy()
    X[np.random.default_rng(4).random(X.shape) < 0.1] = np.nan
    if params["objective"].startswith("multi"):
        y = np.digitize(X[:, 5], [0.8, 1.2]).astype(float)
    booster = tb.train({"max_depth": 4, **params}, tb.Dataset(X, label=y), 8)
    _check(_export_agreement(booster, X, tmp_path))
    back = Booster.from_xgboost(booster.to_xgboost_json())
    assert (
        np.max(np.abs(back.predict(X, output_margin=True) - booster.predict(X, output_margin=True)))
        <= MARGIN_TOL
    )


@pytest.mark.parametrize(
    ("objective", "extra"),
    [case for case in OBJECTIVES if case[0] != "reg:logistic"],
    ids=[o for o, _ in OBJECTIVES if o != "reg:logistic"],
)
def test_export_every_objective(objective, extra, tmp_path):
    xgb = _xgb()
    rng = np.random.default_rng(8)
    X = rng.normal(size=(240, 4)).astype(np.float32)
    positive = np.abs(X[:, 0]) + rng.random(240) + 0.1
    kwargs = {"label": positive}
    if objective.startswith(("binary", "multi", "rank")):
        kwargs["label"] = rng.integers(0, 2 if objective in ("rank:map",) else 3, 240)
        if objective.startswith("binary"):
            kwargs["label"] = (X[:, 0] > 0).astype(float)
    if objective.startswith("rank:"):
        kwargs["group"] = [80, 80, 80]
    if objective == "survival:cox":
        kwargs["label"] = np.where(rng.random(240) < 0.3, -positive, positive)
    if objective == "survival:aft":
        kwargs = {"label_lower_bound": positive, "label_upper_bound": positive + 1.0}
    booster = tb.train(
        {"objective": objective, "max_depth": 3, **extra}, tb.Dataset(X, **kwargs), 4
    )
    path = tmp_path / "model.json"
    booster.to_xgboost_json(path)
    bst = xgb.Booster(model_file=str(path))
    margin = bst.predict(xgb.DMatrix(X), output_margin=True).reshape(240, -1)
    expected = booster.predict(X, output_margin=True).reshape(240, -1)
    assert np.max(np.abs(margin - expected)) <= MARGIN_TOL


def test_export_categorical_model(tmp_path):
    frame, y = _categorical_table(rows=1000)
    booster = tb.train(
        {"objective": "binary:logistic", "max_depth": 3}, tb.Dataset(frame, label=y), 6
    )
    assert any(tree.categories for tree in booster.trees)
    _check(_export_agreement(booster, frame, tmp_path))


def test_export_rejects_what_xgboost_lacks():
    X = np.random.default_rng(5).normal(size=(100, 3))
    booster = tb.train(
        {"objective": "reg:expectileerror", "expectile_alpha": 0.3}, tb.Dataset(X, label=X[:, 0]), 2
    )
    with pytest.raises(ValueError, match="reg:expectileerror"):
        booster.to_xgboost_json()


# -- what is refused ---------------------------------------------------------------------------
def test_unsupported_models_give_one_line_errors():
    xgb = _xgb()
    rng = np.random.default_rng(6)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    cases = [
        ({"booster": "gblinear"}, X[:, 0], "gblinear"),
        ({"objective": "binary:hinge"}, (X[:, 0] > 0).astype(float), "binary:hinge"),
        (
            {"multi_strategy": "multi_output_tree", "tree_method": "hist"},
            rng.normal(size=(200, 2)),
            "multi_output_tree",
        ),
    ]
    for params, y, name in cases:
        bst = xgb.train(params, xgb.DMatrix(X, y), 2)
        with pytest.raises(ValueError, match=name) as info:
            Booster.from_xgboost(bst)
        assert "\n" not in str(info.value)
    with pytest.raises(TypeError, match="xgboost.Booster"):
        contents_from_xgboost(3.5)
    with pytest.raises(ValueError, match="cannot read"):
        contents_from_xgboost("/nonexistent/model.json")


def _mutations(data: bytes, rng, count: int):
    for _ in range(count):
        kind = rng.integers(3)
        if kind == 0:
            yield data[: int(rng.integers(0, len(data)))]
        elif kind == 1:
            edited = bytearray(data)
            for _ in range(int(rng.integers(1, 4))):
                edited[int(rng.integers(len(edited)))] = int(rng.integers(256))
            yield bytes(edited)
        else:
            start = int(rng.integers(len(data)))
            yield data[:start] + data[start + int(rng.integers(1, 16)) :]


def _structural_mutations(doc: dict, rng, count: int):
    """Replace one value anywhere in the document with something of another kind."""
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list) and node and len(paths) < 5000:
            for i in range(min(len(node), 4)):
                walk(node[i], (*path, i))
        paths.append(path)

    walk(doc, ())
    replacements = [None, -1, 2**40, 1e300, "x", [], {}, [1e9, -5], True, 0.5]
    for _ in range(count):
        mutated = json.loads(json.dumps(doc))
        path = paths[int(rng.integers(len(paths)))]
        if not path:
            continue
        node = mutated
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = replacements[int(rng.integers(len(replacements)))]
        yield mutated


def test_damaged_files_give_one_line_value_errors():
    xgb = _xgb()
    frame, y = _categorical_table(rows=400)
    model = xgb.XGBClassifier(n_estimators=3, max_depth=3, enable_categorical=True).fit(frame, y)
    bst = model.get_booster()
    json_bytes, ubj_bytes = bytes(bst.save_raw("json")), bytes(bst.save_raw("ubj"))
    rng = np.random.default_rng(7)
    inputs = [
        *_mutations(json_bytes, rng, 150),
        *_mutations(ubj_bytes, rng, 150),
        *_structural_mutations(json.loads(json_bytes), rng, 300),
    ]
    # Unnamed rows with category codes: a mutated model may have lost its feature names.
    codes = frame.assign(band=frame["band"].cat.codes.replace(-1, np.nan)).to_numpy(float)[:20]
    loaded = 0
    for source in inputs:
        try:
            booster = Booster.from_xgboost(source)
        except ValueError as exc:
            assert "\n" not in str(exc) and str(exc)
            continue
        loaded += 1
        # Whatever loads is a valid model: it predicts and survives a save/load round trip.
        booster.predict(codes, output_margin=True)
        Booster.load_model(booster.save_raw())
    assert loaded < len(inputs)


def test_cli_explains_an_xgboost_model_file(tmp_path, capsys):
    xgb = _xgb()
    pd = pytest.importorskip("pandas")
    from treeboost import cli

    X, y = _example("binary_classification", "binary.train", rows=300)
    frame = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    bst = xgb.train({"objective": "binary:logistic", "max_depth": 3}, xgb.DMatrix(frame, y), 4)
    bst.save_model(tmp_path / "model.ubj")
    frame.insert(0, "label", y)
    frame.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "imp.csv"
    code = cli.main(
        ["explain", str(tmp_path / "model.ubj"), str(tmp_path / "data.csv"), "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    assert out.read_text().startswith("feature,mean_abs_shap")
    (tmp_path / "bad.json").write_text('{"learner": {"objective": 1}}')
    code = cli.main(
        ["calibrate", str(tmp_path / "bad.json"), str(tmp_path / "data.csv"), "--target", "label"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "not a valid XGBoost model" in err
