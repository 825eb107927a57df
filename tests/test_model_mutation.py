"""Hostile and damaged model files, and saves that are interrupted (docs/reliability.md).

A model file is untrusted input. Every mutation here must either be rejected by the loader with
one ``ModelFormatError`` line, or load as a model whose predictions are safe: finite, in-range
leaf indices, equal to a plain Python walk of the trees. Saving is atomic: a process killed
mid-save leaves the old model or the new one at the target path, never a partial file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import treeboost as tb
from fuzz_profiles import LONG, QUICK, assert_finite, count
from treeboost.model.model_file import ModelFormatError, atomic_write_text, read_model

SUITE = "model files"
REPO = Path(__file__).resolve().parents[1]


def _tiny_model() -> tb.Booster:
    X = np.array([[1.0, 10.0], [2.0, np.nan], [3.0, 30.0], [4.0, 40.0],
                  [5.0, np.nan], [6.0, 60.0], [7.0, 70.0], [8.0, 80.0]])
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1.0])
    data = tb.Dataset(X, label=y, feature_names=["age", "income"])
    params = {"objective": "binary:logistic", "max_depth": 1, "min_child_weight": 0.1,
              "learning_rate": 0.5}
    return tb.train(params, data, num_boost_round=2)


def _rich_model() -> tb.Booster:
    """Multiclass, deeper trees, categorical splits, NaNs: more fields to damage."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    X[rng.random((120, 3)) < 0.1] = np.nan
    X[:, 2] = rng.integers(0, 4, size=120)
    y = (np.nan_to_num(X[:, 0]) > 0) + (X[:, 2] >= 2)
    data = tb.Dataset(X, label=y, categorical_features=[2])
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 3,
              "min_child_weight": 0.1}
    return tb.train(params, data, num_boost_round=2)


TINY = _tiny_model()
TINY_TEXT = TINY.save_raw()
RICH = _rich_model()
RICH_TEXT = RICH.save_raw()
PROBE = np.vstack([
    np.random.default_rng(1).normal(size=(20, 3)) * 50,
    np.full((1, 3), np.nan), np.full((1, 3), 1e308), np.full((1, 3), -1e308),
    np.array([[0.0, 0.0, 7.0], [0.0, 0.0, -1.0], [0.0, 0.0, 0.5]]),
])


def _reference_margin(booster: tb.Booster, X: np.ndarray) -> np.ndarray:
    """Margins by docs/model-format.md's split rule (categorical nodes by their code table)."""
    margin = np.tile(booster.base_margin, (X.shape[0], 1))
    for tree, out in zip(booster.trees, booster.tree_outputs):
        for i in range(X.shape[0]):
            node = 0
            while tree.left[node] >= 0:
                v = X[i, tree.feature[node]]
                if node in (tree.categories or {}):
                    # Raw input is matched to the model's category labels; a value that is no
                    # label is missing and follows default_left (docs/explain.md).
                    table = tree.categories[node]
                    labels = booster.categories[tree.feature[node]]
                    codes = [c for c, label in enumerate(labels) if label == v]
                    if np.isnan(v) or not codes:
                        left = bool(tree.default_left[node])
                    else:
                        left = bool(table[1 + codes[0]])
                else:
                    left = bool(tree.default_left[node]) if np.isnan(v) else v <= tree.threshold[
                        node]
                node = tree.left[node] if left else tree.right[node]
            margin[i, out] += tree.value[node]
    return margin


def _load_or_reject(payload) -> tb.Booster | None:
    """The loaded model, or None when the loader refused it in one ModelFormatError line."""
    try:
        return tb.Booster.load_model(payload)
    except ModelFormatError as exc:
        text = str(exc)
        assert text.startswith("invalid treeboost model file:"), text
        assert "\n" not in text, text
        return None


def _check_safe(booster: tb.Booster) -> None:
    """A model that loaded predicts safely and by its own trees."""
    X = PROBE[:, : booster.n_features] if booster.n_features <= 3 else np.zeros(
        (3, booster.n_features))
    margin = booster.predict(X, output_margin=True, iteration_range=(
        0, booster.num_boosted_rounds()))
    assert_finite(margin, "margin of a loaded model")
    ref = _reference_margin(booster, X)
    np.testing.assert_allclose(margin.reshape(ref.shape), ref, rtol=1e-12, atol=1e-300)
    leaves = booster.predict(X, pred_leaf=True, iteration_range=(0, booster.num_boosted_rounds()))
    for j, tree in enumerate(booster.trees):
        assert np.all((leaves[:, j] >= 0) & (leaves[:, j] < tree.left.size))
        assert np.all(tree.left[leaves[:, j]] == -1)
    contribs = booster.predict(X, pred_contribs=True, iteration_range=(
        0, booster.num_boosted_rounds()))
    assert np.all(np.isfinite(contribs))


# -- truncation ----------------------------------------------------------------------------
@pytest.mark.parametrize("text", [TINY_TEXT, RICH_TEXT[:3000]], ids=["tiny", "rich-head"])
def test_every_truncation_is_rejected(text):
    """Cutting the file at any byte offset gives a one-line ModelFormatError."""
    data = text.encode()
    for cut in range(len(data)):
        assert _load_or_reject(data[:cut]) is None, cut
    count(SUITE, "quick", len(data))


def test_truncated_file_on_disk_names_the_problem(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(TINY_TEXT.encode()[: len(TINY_TEXT) // 2])
    with pytest.raises(ModelFormatError, match="truncated"):
        tb.Booster.load_model(path)


# -- structural damage ---------------------------------------------------------------------
def _doc(text=TINY_TEXT):
    return json.loads(text)


def _with(mutate, text=TINY_TEXT):
    doc = _doc(text)
    mutate(doc)
    return json.dumps(doc)


def _set_tree(key, value, tree=0):
    def mutate(doc):
        doc["trees"][tree][key] = value
    return mutate


STRUCTURAL = {
    "child out of range": _set_tree("left", [7, -1, -1]),
    "negative child": _set_tree("right", [-5, -1, -1]),
    "self loop": _set_tree("left", [0, -1, -1]),
    "cycle back to root": lambda d: d["trees"][0].update(
        left=[1, 2, -1], right=[2, 0, -1], feature=[0, 0, -1], split_bin=[1, 1, 0],
        threshold=[1.0, 1.0, 0.0]),
    "two parents": _set_tree("right", [1, -1, -1]),
    "orphan node": lambda d: [d["trees"][0][k].append(v) for k, v in
                              zip(["left", "right", "feature", "threshold", "split_bin",
                                   "default_left", "value", "cover", "gain", "sample_count"],
                                  [-1, -1, -1, 0.0, 0, 0, 0.0, 0.0, 0.0, 0])],
    "one child only": _set_tree("right", [-1, -1, -1]),
    "short array": _set_tree("threshold", [35.0, 0.0]),
    "long array": _set_tree("value", [0.0, 1.0, 2.0, 3.0]),
    "empty tree": lambda d: d["trees"][0].update({k: [] for k in d["trees"][0] if k != "output"}),
    "feature out of range": _set_tree("feature", [2, -1, -1]),
    "negative feature": _set_tree("feature", [-2, -1, -1]),
    "leaf with feature": _set_tree("feature", [1, 0, -1]),
    "split_bin 0": _set_tree("split_bin", [0, 0, 0]),
    "split_bin too big": _set_tree("split_bin", [70000, 0, 0]),
    "NaN threshold (string)": _set_tree("threshold", ["NaN", 0.0, 0.0]),
    "null threshold": _set_tree("threshold", [None, 0.0, 0.0]),
    "bool value": _set_tree("value", [True, 0.0, 0.0]),
    "float child": _set_tree("left", [1.0, -1, -1]),
    "int32 overflow": _set_tree("left", [2**31, -1, -1]),
    "default_left 2": _set_tree("default_left", [2, 0, 0]),
    "negative sample_count": _set_tree("sample_count", [-1, 4, 4]),
    "wrong output": _set_tree("output", 1),
    "extra tree key": _set_tree("extra", 1),
    "missing tree key": lambda d: d["trees"][0].pop("gain"),
    "tree not object": lambda d: d["trees"].__setitem__(0, [1, 2]),
    "unknown version": lambda d: d.update(version=2),
    "version zero": lambda d: d.update(version=0),
    "version string": lambda d: d.update(version="1"),
    "wrong format": lambda d: d.update(format="xgboost"),
    "extra top key": lambda d: d.update(pickle="cos\nsystem\n(S'echo pwned'\ntR."),
    "missing top key": lambda d: d.pop("base_margin"),
    "n_outputs mismatch": lambda d: d.update(n_outputs=2),
    "huge n_outputs": lambda d: d.update(n_outputs=10**12),
    "huge num_class": lambda d: (d["params"].update(objective="multi:softprob",
                                                    num_class=10**12),
                                 d.update(objective="multi:softprob", n_outputs=10**12)),
    "huge num_parallel_tree": lambda d: d["params"].update(num_parallel_tree=10**12),
    "trees not a multiple of num_parallel_tree": lambda d: d["params"].update(
        num_parallel_tree=3),
    "huge max_bin": lambda d: d["params"].update(max_bin=10**12),
    "objective mismatch": lambda d: d.update(objective="reg:squarederror"),
    "unknown param": lambda d: d["params"].update(eta=0.3),
    "callable-looking objective": lambda d: (d["params"].update(
        objective="__import__('os').system('echo pwned')"),
        d.update(objective="__import__('os').system('echo pwned')")),
    "base_margin wrong length": lambda d: d.update(base_margin=[0.0, 0.0]),
    "base_margin string": lambda d: d.update(base_margin=["0"]),
    "names not distinct": lambda d: d.update(feature_names=["age", "age"]),
    "names empty": lambda d: d.update(feature_names=[]),
    "name not string": lambda d: d.update(feature_names=["age", 3]),
    "types wrong": lambda d: d.update(feature_types=["float", "int"]),
    "types short": lambda d: d.update(feature_types=["float"]),
    "best_iteration out of range": lambda d: d.update(best_iteration=5, best_score=0.1),
    "best_iteration negative": lambda d: d.update(best_iteration=-1, best_score=0.1),
    "best_score without iteration": lambda d: d.update(best_score=0.5),
    "categories on numeric model": lambda d: d.update(categories=[["a"], None]),
    "negative cover": _set_tree("cover", [2.0, -1.0, 1.0]),
    "child cover above parent": _set_tree("cover", [2.0, 1e305, 1.0]),
    "leaf values overflowing the margin": lambda d: [t.update(value=[0.0, 1e308, -1e308])
                                                     for t in d["trees"]],
    "top level list": lambda d: d.clear(),
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_damage_is_rejected(name):
    text = _with(STRUCTURAL[name])
    if name == "top level list":
        text = b"[]"
    start = time.perf_counter()
    assert _load_or_reject(text) is None, name
    assert time.perf_counter() - start < 2.0, "rejection must not allocate or loop first"
    count(SUITE, "quick")


def test_trees_not_a_multiple_of_a_round_are_rejected():
    """Regression: a file whose tree count is not a multiple of n_outputs x num_parallel_tree
    (or which claims num_parallel_tree=10**12) used to load with its last trees silently
    ignored (0 rounds: predictions were the base margin)."""
    for mutate in (STRUCTURAL["huge num_parallel_tree"],
                   STRUCTURAL["trees not a multiple of num_parallel_tree"]):
        with pytest.raises(ModelFormatError, match="multiple of"):
            read_model(_with(mutate))


def test_covers_that_break_treeshap_are_rejected():
    """Regression (found by test_flipped_values_predict_safely_long): a cover edited to
    -2.5e305 loaded, and pred_contribs returned inf for finite input (TreeSHAP weighs paths by
    child / parent cover). Covers are now >= 0 and a child's is at most its parent's."""
    for name in ("negative cover", "child cover above parent"):
        with pytest.raises(ModelFormatError, match="cover"):
            read_model(_with(STRUCTURAL[name]))


def test_leaf_values_whose_sum_overflows_are_rejected():
    """Each leaf value finite, their sum over the trees not: the margin would be inf."""
    with pytest.raises(ModelFormatError, match="overflows float64"):
        read_model(_with(STRUCTURAL["leaf values overflowing the margin"]))


def test_cycle_rejected_before_any_kernel_runs(monkeypatch):
    """The loader rejects a cyclic tree without building the prediction forest."""
    from treeboost.model import forest

    def boom(*args, **kwargs):
        raise AssertionError("a kernel structure was built for an invalid file")

    monkeypatch.setattr(forest.Forest, "build", classmethod(boom))
    assert _load_or_reject(_with(STRUCTURAL["cycle back to root"])) is None


BYTE_TRICKS = {
    "BOM": b"\xef\xbb\xbf" + TINY_TEXT.encode(),
    "UTF-16": TINY_TEXT.encode("utf-16"),
    "overlong slash": TINY_TEXT.encode().replace(b'"age"', b'"a\xc0\xafge"'),
    "lone surrogate escape": TINY_TEXT.encode().replace(b'"age"', b'"\\ud800"'),
    "invalid byte": TINY_TEXT.encode().replace(b'"age"', b'"\xff"'),
    "NaN literal": TINY_TEXT.encode().replace(b"35.0", b"NaN", 1),
    "Infinity literal": TINY_TEXT.encode().replace(b"35.0", b"Infinity", 1),
    "1e999": TINY_TEXT.encode().replace(b"35.0", b"1e999", 1),
    "-1e999": TINY_TEXT.encode().replace(b"35.0", b"-1e999", 1),
    "huge integer": TINY_TEXT.encode().replace(b'"left":[1', b'"left":[' + b"9" * 5000, 1),
    "int64 overflow": TINY_TEXT.encode().replace(b'"sample_count":[8', b'"sample_count":[' +
                                                 str(2**63).encode(), 1),
    "duplicate key": TINY_TEXT.encode().replace(b'{"format"', b'{"version":1,"format"', 1),
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "empty": b"",
    "whitespace": b"   \n\t ",
    "pickle": b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94.",
    "trailing garbage": TINY_TEXT.encode() + b"garbage",
    "two documents": TINY_TEXT.encode() + TINY_TEXT.encode(),
    "zero-width key": TINY_TEXT.encode().replace(b'"format"', b'"\xe2\x80\x8bformat"', 1),
    "fullwidth digits": TINY_TEXT.encode().replace(b'"version":1', b'"version":\xef\xbc\x91', 1),
}


@pytest.mark.parametrize("name", sorted(BYTE_TRICKS))
def test_encoding_and_number_tricks_are_rejected(name):
    assert _load_or_reject(BYTE_TRICKS[name]) is None, name
    count(SUITE, "quick")


def test_lone_surrogate_feature_name_is_rejected():
    """Regression: a ``\\ud800`` escape in a feature name loaded, giving a name that cannot be
    printed or written as UTF-8 (the CLI's info command would fail later, far from the cause)."""
    with pytest.raises(ModelFormatError, match="feature_names.*not valid Unicode"):
        read_model(BYTE_TRICKS["lone surrogate escape"])


def test_control_characters_in_names_are_data_not_syntax():
    """A NUL or newline escaped in a name is a valid (if odd) name: it loads and round-trips."""
    text = TINY_TEXT.replace('"age"', '"a\\u0000g\\ne"')
    loaded = tb.Booster.load_model(text)
    assert loaded.feature_names[0] == "a\x00g\ne"
    assert loaded.save_raw() == text


def test_non_ascii_feature_names_round_trip():
    """Feature names with non-ASCII, zero-width and control characters survive save/load (the
    file is ASCII with escapes) and are matched exactly."""
    X = np.random.default_rng(0).normal(size=(30, 3))
    names = ["é\u200b", "a\nb", "\U0001f600"]
    booster = tb.train({"max_depth": 2}, tb.Dataset(X, label=X[:, 0], feature_names=names), 2)
    text = booster.save_raw()
    assert text.isascii()
    loaded = tb.Booster.load_model(text)
    assert loaded.feature_names == names
    assert loaded.save_raw() == text


# -- random mutations ----------------------------------------------------------------------
JSON_VALUES = st.one_of(
    st.none(), st.booleans(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([-1, 0, 1, 2, 3, 7, 65535, 65536, 2**31 - 1, 2**31, 2**63 - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 35.0, 1e-300]),
    st.text(max_size=5),
    st.lists(st.integers(-2, 5), max_size=6),
    st.lists(st.floats(allow_nan=True), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _replace(doc, path, value):
    if not path:
        return value
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return doc


def _mutation_case(base_text, picks, byte_flips) -> None:
    doc = json.loads(base_text)
    paths = list(_paths(doc))
    for index, value in picks:
        doc = _replace(doc, paths[index % len(paths)], value)
        paths = list(_paths(doc)) or [()]
    text = json.dumps(doc, allow_nan=True).encode()
    data = bytearray(text)
    for position, byte in byte_flips:
        if data:
            data[position % len(data)] = byte
    booster = _load_or_reject(bytes(data))
    if booster is None:
        event("rejected")
        return
    event("loaded")
    if booster.n_features <= 3:
        _check_safe(booster)


MUTATIONS = dict(
    base=st.sampled_from(["tiny", "rich"]),
    picks=st.lists(st.tuples(st.integers(0, 10**6), JSON_VALUES), min_size=0, max_size=3),
    byte_flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=2),
)


def _mutation(base, picks, byte_flips):
    _mutation_case(TINY_TEXT if base == "tiny" else RICH_TEXT, picks, byte_flips)


@QUICK.__class__(QUICK, max_examples=200)
@given(**MUTATIONS)
def test_random_mutations_quick(base, picks, byte_flips):
    count(SUITE, "quick")
    _mutation(base, picks, byte_flips)


@pytest.mark.fuzz
@LONG.__class__(LONG, max_examples=LONG.max_examples * 10)
@given(**MUTATIONS)
def test_random_mutations_long(base, picks, byte_flips):
    count(SUITE, "long")
    _mutation(base, picks, byte_flips)


def _value_mutation(field, node, value):
    """Valid-typed edits that keep the file loadable: the model must still predict safely."""
    doc = _doc(RICH_TEXT)
    tree = doc["trees"][node % len(doc["trees"])]
    i = node % len(tree["left"])
    tree[field][i] = value
    booster = _load_or_reject(json.dumps(doc))
    if booster is not None:
        event("loaded")
        _check_safe(booster)


VALUE_EDITS = dict(
    field=st.sampled_from(["threshold", "value", "cover", "gain", "default_left", "feature",
                           "split_bin", "sample_count"]),
    node=st.integers(0, 1000),
    value=st.one_of(st.floats(-1e308, 1e308), st.integers(-3, 70000)),
)


@QUICK.__class__(QUICK, max_examples=100)
@given(**VALUE_EDITS)
def test_flipped_values_predict_safely_quick(field, node, value):
    count(SUITE, "quick")
    _value_mutation(field, node, value)


@pytest.mark.fuzz
@LONG.__class__(LONG, max_examples=LONG.max_examples * 5)
@given(**VALUE_EDITS)
def test_flipped_values_predict_safely_long(field, node, value):
    count(SUITE, "long")
    _value_mutation(field, node, value)


@pytest.mark.fuzz
def test_every_truncation_of_the_rich_model_is_rejected():
    data = RICH_TEXT.encode()
    for cut in range(len(data)):
        assert _load_or_reject(data[:cut]) is None, cut
    count(SUITE, "long", len(data))


# -- atomic saves --------------------------------------------------------------------------
def test_atomic_write_leaves_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    TINY.save_model(path)
    before = path.read_bytes()

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        RICH.save_model(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"], "temp file left"


def test_saved_file_has_the_usual_permissions(tmp_path):
    path = tmp_path / "model.json"
    TINY.save_model(path)
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_concurrent_saves_to_one_path_leave_a_whole_model(tmp_path):
    path = tmp_path / "model.json"
    errors = []

    def save(model):
        try:
            for _ in range(20):
                model.save_model(path)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(m,)) for m in (TINY, RICH, TINY, RICH)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert path.read_text() in (TINY_TEXT, RICH_TEXT)


_SAVER = textwrap.dedent(
    """
    import os, sys, time
    kind, source, path = sys.argv[1], sys.argv[2], sys.argv[3]
    # A slow disk: each fsync takes 30 ms, so that many kills land while a file is written.
    _fsync = os.fsync
    os.fsync = lambda fd: (time.sleep(0.03), _fsync(fd))[1]
    if kind == "uncertainty":
        from treeboost.calibration import CalibratedClassifier
        save = CalibratedClassifier.load(source).save
    else:
        import treeboost as tb
        booster = tb.Booster.load_model(source)
        if kind == "estimator":
            model = tb.TreeBoostClassifier()
            model._Booster = booster
            save = model.get_booster().save_model
        else:
            save = booster.save_model
    save(path)
    print("ready", flush=True)
    while True:
        save(path)
    """
)


@pytest.fixture(scope="module")
def big_models(tmp_path_factory):
    """Source files of a large model (about 1 MB) of each kind, trained once."""
    from treeboost.calibration import CalibratedClassifier

    folder = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 8))
    y = (X[:, 0] + rng.normal(size=2000) > 0).astype(float)
    booster = tb.train({"objective": "binary:logistic", "max_depth": 6}, tb.Dataset(X, label=y),
                       60)
    booster.save_model(folder / "booster.json")
    (folder / "estimator.json").write_text(booster.save_raw())
    calibrated = CalibratedClassifier(
        tb.TreeBoostClassifier(n_estimators=30, max_depth=5), method="isotonic", cv=2
    ).fit(X, y)
    calibrated.save(folder / "uncertainty.json")
    return folder


def _loader(kind):
    if kind == "uncertainty":
        from treeboost.calibration import CalibratedClassifier

        return CalibratedClassifier.load
    return tb.Booster.load_model


def _kill_mid_save(tmp_path, big_models, kind, n_kills, profile):
    """SIGKILL a process that saves a large model in a loop, at random moments: the target path
    always holds a whole model (the first save completes before the kills start)."""
    path = tmp_path / "model.json"
    script = tmp_path / "saver.py"
    script.write_text(_SAVER)
    source = big_models / f"{kind}.json"
    load = _loader(kind)
    rng = np.random.default_rng(n_kills)
    interrupted = 0
    for delay in rng.uniform(0.0, 0.1, size=n_kills):
        proc = subprocess.Popen(
            [sys.executable, str(script), kind, str(source), str(path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
        )
        try:
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read()
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
        load(str(path))  # raises if the file is partial
        assert path.read_bytes() == source.read_bytes()
        leftovers = [p for p in tmp_path.iterdir() if p.name not in ("model.json", "saver.py")]
        for p in leftovers:  # a kill mid-write leaves the temporary file, never a partial target
            assert p.name.startswith(".model.json.") and p.name.endswith(".tmp"), p.name
            interrupted += 1
            p.unlink()
    count(SUITE, profile, n_kills)
    return interrupted


@pytest.mark.parametrize("kind, n_kills", [("booster", 2), ("uncertainty", 1)])
def test_killed_mid_save_leaves_a_loadable_model(tmp_path, big_models, kind, n_kills):
    # The default run keeps this short (each kill starts a Python process); the long profile
    # kills 25 times per save path, the estimators' too.
    _kill_mid_save(tmp_path, big_models, kind, n_kills, "quick")


@pytest.mark.fuzz
@pytest.mark.parametrize("kind", ["booster", "estimator", "uncertainty"])
def test_killed_mid_save_many_times(tmp_path, big_models, kind):
    interrupted = _kill_mid_save(tmp_path, big_models, kind, 25, "long")
    # The kills do land inside writes (a temporary file was left behind) at least sometimes.
    assert interrupted >= 1


def test_atomic_write_text_replaces_in_place(tmp_path):
    path = tmp_path / "f.json"
    atomic_write_text(path, "old")
    atomic_write_text(str(path), "new")
    assert path.read_text() == "new"
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "missing" / "f.json", "x")
