"""JSON model files: bit-identical round trips, deterministic bytes, and rejection of bad files."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import treeboost as tb
from treeboost.model.model_file import FORMAT_VERSION, ModelFormatError, read_model
from treeboost.tree.tree import NODE_ARRAYS

IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")


def make_data(task: str, n_rows: int = 300, n_features: int = 5, seed: int = 0):
    """Features with ~15% NaN (so default directions matter) and a label for ``task``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    signal = X[:, 0] + 0.5 * X[:, 1] - 0.25 * X[:, 2]
    X[rng.random(X.shape) < 0.15] = np.nan
    noise = rng.normal(scale=0.3, size=n_rows)
    if task == "reg":
        y = signal + noise
    elif task == "binary":
        y = (signal + noise > 0).astype(np.float64)
    else:
        y = np.digitize(signal + noise, [-0.5, 0.5]).astype(np.float64)
    return X, y


TASKS = {
    "reg": {"objective": "reg:squarederror"},
    "binary": {"objective": "binary:logistic"},
    "multi": {"objective": "multi:softprob", "num_class": 3},
}
POLICIES = {
    "depthwise": {"grow_policy": "depthwise", "max_depth": 3},
    "lossguide": {"grow_policy": "lossguide", "max_depth": 0, "max_leaves": 6},
}


@pytest.fixture(
    scope="module", params=[(t, g) for t in TASKS for g in POLICIES], ids=lambda p: f"{p[0]}-{p[1]}"
)
def trained(request):
    task, policy = request.param
    X, y = make_data(task)
    params = {**TASKS[task], **POLICIES[policy], "learning_rate": 0.5}
    return tb.train(params, tb.Dataset(X, label=y), num_boost_round=4), X


def assert_same_predictions(a: tb.Booster, b: tb.Booster, X: np.ndarray) -> None:
    assert np.array_equal(a.predict(X, output_margin=True), b.predict(X, output_margin=True))
    assert np.array_equal(a.predict(X), b.predict(X))
    assert np.array_equal(a.predict(X, pred_leaf=True), b.predict(X, pred_leaf=True))
    for kind in IMPORTANCE_TYPES:
        assert a.get_score(kind) == b.get_score(kind)


# -- round trips -----------------------------------------------------------------------------
def test_round_trip_through_a_file_is_bit_identical(trained, tmp_path):
    booster, X = trained
    path = tmp_path / "model.json"
    booster.save_model(str(path))
    loaded = tb.Booster.load_model(str(path))

    assert_same_predictions(booster, loaded, X)
    assert loaded.n_outputs == booster.n_outputs
    assert loaded.feature_names == booster.feature_names
    assert loaded.feature_types == booster.feature_types
    assert np.array_equal(loaded.base_margin, booster.base_margin)
    assert loaded.tree_outputs == booster.tree_outputs
    for original, copied in zip(booster.trees, loaded.trees, strict=True):
        for name, dtype in NODE_ARRAYS.items():
            assert getattr(copied, name).dtype == dtype
            assert np.array_equal(getattr(copied, name), getattr(original, name))
    assert loaded.params == booster.params


def test_saving_a_loaded_model_gives_the_same_bytes(trained, tmp_path):
    booster, _ = trained
    text = booster.save_raw()
    assert tb.Booster.load_model(text).save_raw() == text
    path = tmp_path / "model.json"
    booster.save_model(str(path))
    assert path.read_text(encoding="utf-8") == text
    assert tb.Booster.load_model(str(path)).save_raw() == text


def test_missing_values_exercise_both_default_directions():
    # The NaN rule is only covered by the round trips if trees send NaN both ways.
    X, y = make_data("reg")
    booster = tb.train({"max_depth": 3}, tb.Dataset(X, label=y), num_boost_round=4)
    directions = np.concatenate([t.default_left[t.left >= 0] for t in booster.trees])
    assert set(directions.tolist()) == {0, 1}
    X_missing = X.copy()
    X_missing[::2, :] = np.nan
    loaded = tb.Booster.load_model(booster.save_raw())
    assert_same_predictions(booster, loaded, X_missing)


def _subtree(tree: dict, node: int) -> set[int]:
    nodes, stack = set(), [node]
    while stack:
        n = stack.pop()
        nodes.add(n)
        if tree["left"][n] >= 0:
            stack += [tree["left"][n], tree["right"][n]]
    return nodes


def test_the_split_rule_is_value_le_threshold_and_nan_follows_default_left():
    X, y = make_data("reg")
    booster = tb.train({"max_depth": 2}, tb.Dataset(X, label=y), num_boost_round=1)
    tree = json.loads(booster.save_raw())["trees"][0]
    f, threshold = tree["feature"][0], tree["threshold"][0]
    rows = np.zeros((3, X.shape[1]))
    rows[:, f] = [threshold, np.nextafter(threshold, np.inf), np.nan]
    leaves = booster.predict(rows, pred_leaf=True)[:, 0]
    left, right = _subtree(tree, tree["left"][0]), _subtree(tree, tree["right"][0])
    assert leaves[0] in left
    assert leaves[1] in right
    assert leaves[2] in (left if tree["default_left"][0] else right)


# -- determinism ------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", list(POLICIES))
def test_same_seed_gives_the_same_file_whatever_the_thread_count(policy):
    # Enough rows that the root and its children span several histogram chunks even after the
    # 0.7 row subsample (kernels/histogram.py: n_chunks_for), so threads really share the work.
    X, y = make_data("binary", n_rows=100_000, n_features=8, seed=1)
    data = tb.Dataset(X, label=y)
    params = {
        "objective": "binary:logistic",
        **POLICIES[policy],
        "subsample": 0.7,
        "colsample_bytree": 0.7,
        "colsample_bynode": 0.5,
        "random_state": 7,
    }
    one = tb.train({**params, "n_jobs": 1}, data, num_boost_round=5).save_raw()
    two = tb.train({**params, "n_jobs": 2}, data, num_boost_round=5).save_raw()
    assert one == two
    other_seed = tb.train({**params, "random_state": 8}, data, num_boost_round=5).save_raw()
    assert other_seed != one  # the sampling is live, so equality above means something


def test_thread_count_is_neither_written_nor_kept():
    X, y = make_data("reg")
    booster = tb.train({"n_jobs": 2, "max_depth": 2}, tb.Dataset(X, label=y), num_boost_round=1)
    booster.params["n_jobs"] = 2  # as a Booster built by hand or by an older train() holds it
    doc = json.loads(booster.save_raw())
    assert "n_jobs" not in doc["params"]
    doc["params"]["n_jobs"] = 2  # a file written by an older writer
    assert "n_jobs" not in read_model(json.dumps(doc)).params


# -- early stopping ---------------------------------------------------------------------------
def test_best_iteration_survives_the_round_trip():
    X, y = make_data("reg", n_rows=400)
    train = tb.Dataset(X[:200], label=y[:200])
    valid = tb.Dataset(X[200:], label=y[200:], reference=train)
    booster = tb.train(
        {"learning_rate": 0.8, "max_depth": 4},
        train,
        num_boost_round=60,
        evals=[(valid, "valid")],
        early_stopping_rounds=3,
    )
    assert booster.best_iteration is not None
    assert booster.best_iteration + 1 < booster.num_boosted_rounds()
    loaded = tb.Booster.load_model(booster.save_raw())
    assert loaded.best_iteration == booster.best_iteration
    assert loaded.best_score == booster.best_score
    assert_same_predictions(booster, loaded, X)  # predict stops at best_iteration on both


def test_a_nan_best_score_is_saved_as_null():
    X, y = make_data("binary")
    train = tb.Dataset(X, label=y)
    one_class = tb.Dataset(X, label=np.ones_like(y), reference=train)  # AUC is NaN
    booster = tb.train(
        {"objective": "binary:logistic", "eval_metric": "auc"},
        train,
        num_boost_round=5,
        evals=[(one_class, "valid")],
        early_stopping_rounds=2,
    )
    assert np.isnan(booster.best_score)
    loaded = tb.Booster.load_model(booster.save_raw())
    assert loaded.best_iteration == booster.best_iteration
    assert loaded.best_score is None


# -- custom objective -------------------------------------------------------------------------
def squared_error(predt, dtrain):
    return predt - dtrain.label, np.ones_like(predt)


def test_custom_objective_model_predicts_margins_but_cannot_continue_training(tmp_path):
    X, y = make_data("reg")
    data = tb.Dataset(X, label=y)
    booster = tb.train({"max_depth": 3}, data, num_boost_round=3, obj=squared_error)
    path = tmp_path / "custom.json"
    booster.save_model(str(path))
    loaded = tb.Booster.load_model(str(path))
    assert loaded.objective.name == "custom"
    assert_same_predictions(booster, loaded, X)
    assert np.array_equal(loaded.predict(X), booster.predict(X, output_margin=True))

    with pytest.raises(ValueError, match="trained with objective 'custom'"):
        tb.train({"max_depth": 3}, data, num_boost_round=1, init_model=loaded)
    with pytest.raises(ValueError, match="'custom'"):
        tb.train(loaded.params, data, num_boost_round=1, init_model=loaded)
    # Handing the callable back in is the documented way to continue.
    more = tb.train({"max_depth": 3}, data, num_boost_round=1, init_model=loaded, obj=squared_error)
    assert more.num_boosted_rounds() == 4


def softmax_loss(predt, dtrain):
    p = np.exp(predt - predt.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.eye(3)[dtrain.label.astype(int)]
    return p - onehot, np.maximum(p * (1 - p), 1e-6)


def test_custom_objective_with_several_outputs_round_trips():
    X, y = make_data("multi")
    booster = tb.train(
        {"num_class": 3, "max_depth": 2},
        tb.Dataset(X, label=y),
        num_boost_round=2,
        obj=softmax_loss,
    )
    text = booster.save_raw()
    loaded = tb.Booster.load_model(text)
    assert loaded.n_outputs == 3
    assert loaded.predict(X).shape == (X.shape[0], 3)
    assert_same_predictions(booster, loaded, X)
    assert loaded.save_raw() == text


# -- rejection of malformed files -------------------------------------------------------------
@pytest.fixture(scope="module")
def small_multi_text() -> str:
    X, y = make_data("multi", n_rows=120, n_features=3)
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2}
    text = tb.train(params, tb.Dataset(X, label=y), num_boost_round=2).save_raw()
    # The edits below assume tree 0 is full: nodes 0, 1, 2 split and 3..6 are leaves.
    assert json.loads(text)["trees"][0]["left"] == [1, 3, 5, -1, -1, -1, -1]
    return text


def _edit(text: str, change) -> str:
    doc = json.loads(text)
    change(doc)
    return json.dumps(doc)


def _set(path, value):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _delete(path):
    def change(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


def _tree0(name, index, value):
    return _set(("trees", 0, name, index), value)


BAD_EDITS = {
    "wrong format": (_set(("format",), "xgboost"), "'format' must be 'treeboost'"),
    "newer version": (_set(("version",), FORMAT_VERSION + 1), "newer than this treeboost reads"),
    "version as string": (_set(("version",), "1"), "'version' must be an integer"),
    "missing trees": (_delete(("trees",)), r"missing keys \['trees'\]"),
    "missing params": (_delete(("params",)), r"missing keys \['params'\]"),
    "missing tree key": (_delete(("trees", 0, "threshold")), r"trees\[0\]: missing keys"),
    "unknown top key": (_set(("comment",), "hi"), r"unknown keys \['comment'\]"),
    "unknown tree key": (_set(("trees", 1, "depth"), []), r"trees\[1\]: unknown keys"),
    "child points backwards": (_tree0("left", 1, 0), "child index <= its own"),
    "child points to itself": (_tree0("right", 1, 1), "child index <= its own"),
    "node with two parents": (_tree0("left", 2, 3), "a node has two parents"),
    "child out of range": (_tree0("right", 0, 99), "out of range"),
    "one child only": (_tree0("right", 1, -1), "two children .* or none"),
    "feature out of range": (_tree0("feature", 0, 3), r"split feature is out of range \[0, 3\)"),
    "negative feature": (_tree0("feature", 0, -1), "split feature is out of range"),
    "leaf with a feature": (_set(("trees", 0, "feature", -1), 0), "leaf must have feature -1"),
    "split bin zero": (_tree0("split_bin", 0, 0), "split_bin is out of range"),
    "default_left 2": (_tree0("default_left", 0, 2), "default_left must hold 0 or 1"),
    "negative sample_count": (_tree0("sample_count", 0, -5), "sample_count must be >= 0"),
    "int32 overflow": (_tree0("split_bin", 0, 2**31), "outside the int32 range"),
    "short array": (_set(("trees", 0, "value"), [0.5]), r"trees\[0\]\.value: must be a list of"),
    "empty tree": (_set(("trees", 0, "left"), []), "'left' must be a non-empty list"),
    "string threshold": (_tree0("threshold", 0, "0.5"), "holds '0.5', not a finite number"),
    "bool value": (_tree0("value", 0, True), "not a finite number"),
    "float child": (_tree0("left", 0, 1.0), "holds 1.0, not an integer"),
    "array as object": (_set(("trees", 0, "gain"), {"0": 1}), "must be a list of"),
    "tree not object": (_set(("trees", 0), [1, 2]), r"trees\[0\]: must be an object"),
    "trees not list": (_set(("trees",), {}), "multiple of 3"),
    "output mismatch": (_set(("trees", 0, "output"), 1), "output 1 does not match"),
    "trees not whole rounds": (lambda d: d["trees"].pop(), "multiple of 3"),
    "unknown parameter": (_set(("params", "eta"), 0.1), "unknown parameter 'eta'"),
    "misspelt parameter": (_set(("params", "max_dept"), 3), "did you mean 'max_depth'"),
    "bad parameter value": (_set(("params", "learning_rate"), -1), "learning_rate"),
    "params not object": (_set(("params",), [1]), "params: must be an object"),
    "objective mismatch": (_set(("objective",), "binary:logistic"), "differs from params"),
    "n_outputs mismatch": (_set(("n_outputs",), 2), "does not match the objective"),
    "base_margin length": (_set(("base_margin",), [0.0]), "base_margin: must be a list of 3"),
    "feature_names duplicated": (_set(("feature_names",), ["a", "b", "a"]), "'a' appears twice"),
    "feature_names not strings": (_set(("feature_names",), ["a", 1, "c"]), "not a string"),
    "feature_names empty": (_set(("feature_names",), []), "non-empty list"),
    "feature_types wrong": (_set(("feature_types",), ["float", "int", "float"]), "feature_types"),
    "best_iteration beyond rounds": (_set(("best_iteration",), 2), "beyond the 2 rounds"),
    "best_iteration negative": (_set(("best_iteration",), -1), "integer >= 0"),
    "best_score without iteration": (_set(("best_score",), 0.5), "must be null when"),
    "best_score string": (_set(("best_score",), "0.5"), "number or null"),
}


@pytest.mark.parametrize("name", list(BAD_EDITS))
def test_malformed_field_is_rejected(small_multi_text, name):
    change, message = BAD_EDITS[name]
    with pytest.raises(ModelFormatError, match=message):
        tb.Booster.load_model(_edit(small_multi_text, change))


def _replace_first_item(array_key: str, literal: str):
    """Text edit: the first item of the first array named ``array_key`` becomes ``literal``."""

    def change(text: str) -> str:
        start = text.index(f'"{array_key}":[') + len(array_key) + 4
        end = min(text.index(",", start), text.index("]", start))
        return text[:start] + literal + text[end:]

    return change


BAD_TEXT = {
    "not JSON": (lambda text: "{this is not json}", "not valid JSON"),
    "top level array": (lambda text: "[1, 2, 3]", "must be a JSON object"),
    "NaN literal": (_replace_first_item("threshold", "NaN"), "NaN is not allowed"),
    "Infinity literal": (_replace_first_item("value", "Infinity"), "Infinity is not allowed"),
    "-Infinity literal": (_replace_first_item("cover", "-Infinity"), "-Infinity is not allowed"),
    "Infinity in params": (
        lambda text: text.replace('"learning_rate":0.3', '"learning_rate":Infinity'),
        "Infinity is not allowed",
    ),
    "NaN best_score": (
        lambda text: text.replace(
            '"best_iteration":null,"best_score":null', '"best_iteration":0,"best_score":NaN'
        ),
        "NaN is not allowed",
    ),
    "float overflow": (_replace_first_item("gain", "1e999"), "out of the float64 range"),
    "huge integer": (_replace_first_item("sample_count", "9" * 5000), "out of the int64 range"),
    "int64 overflow": (_replace_first_item("sample_count", str(2**63)), "out of the int64 range"),
    "duplicate key": (
        lambda text: text.replace('"version":1,', '"version":1,"version":1,'),
        "'version' appears twice",
    ),
    "deep nesting": (lambda text: '{"a":' + "[" * 100000 + "]" * 100000 + "}", "not valid JSON"),
}


@pytest.mark.parametrize("name", list(BAD_TEXT))
def test_malformed_text_is_rejected(small_multi_text, name):
    change, message = BAD_TEXT[name]
    text = change(small_multi_text)
    assert text != small_multi_text
    with pytest.raises(ModelFormatError, match=message):
        read_model(text)


def test_non_utf8_bytes_are_rejected():
    with pytest.raises(ModelFormatError, match="not UTF-8"):
        read_model(b'{"format":"treeboost\xff"}')


def test_model_format_error_is_a_value_error():
    assert issubclass(ModelFormatError, ValueError)


def test_every_truncation_is_rejected(small_multi_text, tmp_path):
    for cut in range(len(small_multi_text)):
        with pytest.raises(ModelFormatError, match="not valid JSON.*truncated"):
            read_model(small_multi_text[:cut])
    # Through the file reader too, at a few points.
    for cut in (0, 1, len(small_multi_text) // 3, len(small_multi_text) - 1):
        path = tmp_path / f"cut{cut}.json"
        path.write_text(small_multi_text[:cut], encoding="utf-8")
        with pytest.raises(ModelFormatError, match="truncated"):
            tb.Booster.load_model(str(path))


def test_nonexistent_path_is_a_clear_error(tmp_path):
    missing = tmp_path / "no-such-model.json"
    with pytest.raises(ValueError, match="cannot read model file .*no-such-model.json"):
        tb.Booster.load_model(str(missing))


# -- no malformed document escapes as anything but ModelFormatError ---------------------------
ODD_VALUES = (
    None,
    True,
    -1,
    0,
    2**40,
    2**64,
    0.5,
    -1e308,
    float("nan"),
    "x",
    [],
    [1, "a"],
    {},
    {"k": None},
)


def _leaf_paths(node, prefix=()):
    """Every (path) to a value of the document, containers included."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaf_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaf_paths(value, (*prefix, i))


def _loads_or_rejects_cleanly(doc: dict, what: str) -> None:
    try:
        read_model(json.dumps(doc))
    except ModelFormatError:
        pass
    except Exception as exc:  # the defect this test exists to catch
        pytest.fail(f"{what}: {type(exc).__name__} escaped instead of ModelFormatError: {exc}")


def test_any_single_edit_loads_or_raises_model_format_error(small_multi_text):
    doc = json.loads(small_multi_text)
    doc["trees"] = doc["trees"][:3]  # one round is enough and keeps the run short
    for path in (p for p in _leaf_paths(doc) if p):
        for value in ODD_VALUES:
            edited = copy.deepcopy(doc)
            _set(path, value)(edited)
            _loads_or_rejects_cleanly(edited, f"{path} = {value!r}")
        if not isinstance(path[-1], int):
            edited = copy.deepcopy(doc)
            _delete(path)(edited)
            _loads_or_rejects_cleanly(edited, f"del {path}")
