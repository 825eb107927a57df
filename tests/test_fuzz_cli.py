"""Property-based fuzzing of the CLI's data readers (CSV, LibSVM, Parquet) and of ``treeboost
train`` / ``predict`` on what they read (docs/reliability.md).

Every generated file ends in data of matching rows and labels, or in one ``CLIError`` line; the
command ends in exit status 0, or 2 with one ``treeboost: error:`` line that is not the
catch-all form ``SomeError: ...`` the CLI prints for an exception nobody anticipated.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from cli_calls import call
from fuzz_profiles import LONG, QUICK, count
from treeboost.cli import _io

SUITE = "cli readers"
CATCH_ALL = re.compile(r"^treeboost: error: ([A-Z][A-Za-z]*(Error|Exception)|out of memory)")

CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "1e999", "-1e999", "5e-324", "abc", "é",
                     '"1,2"', '""', "TRUE", "0x10", "1_000", " 3 ", "1e", "--1", "\u00a0"]),
)
NAMES = st.sampled_from(["a", "b", "a", "", "y", "x y", "é", "Unnamed: 0", "1", "f0", "f1"])


@st.composite
def csv_texts(draw):
    n_cols = draw(st.integers(1, 5))
    header = draw(st.lists(NAMES, min_size=n_cols, max_size=n_cols))
    if draw(st.integers(0, 9)):
        header[-1] = "y"
        header = ["y" if h == "y" and i == n_cols - 1 else ("b" if h == "y" else h)
                  for i, h in enumerate(header)]
    n_cols += 1
    header.insert(0, "c0")  # at least one feature column besides y
    damaged = draw(st.integers(0, 2)) == 0  # a third of the files carry odd cells
    rows = []
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 25))):
        cells = [repr(float(v)) for v in rng.normal(size=n_cols) * 10]
        if damaged and draw(st.integers(0, 3)) == 0:
            width = n_cols if draw(st.integers(0, 4)) else draw(st.integers(0, n_cols + 2))
            cells = draw(st.lists(CELLS, min_size=width, max_size=width))
        rows.append(",".join(cells))
    return "\n".join([",".join(header), *rows]) + draw(st.sampled_from(["", "\n", "\n\n"]))


@st.composite
def libsvm_texts(draw):
    lines = []
    damaged = draw(st.integers(0, 2)) == 0
    for _ in range(draw(st.integers(1, 25))):
        label = draw(st.floats(-5, 5).map(repr))
        if damaged and draw(st.integers(0, 3)) == 0:
            label = draw(st.sampled_from(["0", "1", "2", "-1", "nan", "x", "1e999", ""]))
        pairs = []
        for index in sorted(draw(st.sets(st.integers(0, 6), max_size=5))):
            value = draw(st.floats(-1e3, 1e3).map(repr))
            if damaged and draw(st.integers(0, 5)) == 0:
                index = draw(st.sampled_from([-1, 2**31, 10**12, 2**63, 10**30]))
                value = draw(CELLS)
            pairs.append(f"{index}:{value}")
        if damaged and draw(st.integers(0, 9)) == 0:
            pairs.append(draw(st.sampled_from(["qid:1", "1:", ":1", "a:b", "3:4:5", "#c"])))
        lines.append(" ".join([label, *pairs]))
    return "\n".join(lines) + "\n"


def _parquet_bytes(draw) -> bytes:
    import io

    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    n = draw(st.integers(0, 20))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns = {}
    for name in draw(st.lists(st.sampled_from(["a", "b", "c", "y"]), min_size=1, max_size=4,
                              unique=True)):
        kind = draw(st.sampled_from(["float", "int", "bool", "str", "date", "nan", "inf",
                                     "cat", "uint64"]))
        if kind == "float":
            columns[name] = rng.normal(size=n)
        elif kind == "int":
            columns[name] = rng.integers(-5, 5, size=n)
        elif kind == "uint64":
            columns[name] = rng.integers(0, 2**63, size=n, dtype=np.uint64) * 2
        elif kind == "bool":
            columns[name] = rng.random(n) > 0.5
        elif kind == "str":
            columns[name] = rng.choice(["u", "v", "é"], size=n)
        elif kind == "date":
            columns[name] = pd.to_datetime(rng.integers(0, 10**9, size=n), unit="s")
        elif kind == "nan":
            columns[name] = np.full(n, np.nan)
        elif kind == "inf":
            columns[name] = np.where(rng.random(n) > 0.5, np.inf, 1.0)
        else:
            columns[name] = pd.Categorical(rng.choice(["p", "q"], size=n))
    buffer = io.BytesIO()
    pd.DataFrame(columns).to_parquet(buffer)
    data = buffer.getvalue()
    if draw(st.integers(0, 4)) == 0:  # damage it
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
    return data


@st.composite
def data_files(draw):
    fmt = draw(st.sampled_from(["csv", "csv", "libsvm", "parquet", "bytes"]))
    if fmt == "csv":
        return "data.csv", draw(csv_texts()).encode()
    if fmt == "libsvm":
        return "data.svm", draw(libsvm_texts()).encode()
    if fmt == "parquet":
        return "data.parquet", _parquet_bytes(draw)
    suffix = draw(st.sampled_from([".csv", ".svm", ".parquet"]))
    return "data" + suffix, draw(st.binary(max_size=200))


def _reader_case(tmp_path, name, payload) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    try:
        X, y = _io.read_training(str(path), None, "y")
    except _io.CLIError as exc:
        assert "\n" not in _io.one_line(exc)
        event(f"refused ({name.split('.')[-1]})")
        return
    event(f"read ({name.split('.')[-1]})")
    assert X.shape[0] == len(y)
    assert np.all(np.isfinite(y))


def _command_case(tmp_path, capsys, name, payload) -> None:
    path = tmp_path / name
    path.write_bytes(payload)
    model = tmp_path / "model.json"
    code, out, err = call(capsys, "train", path, "--target", "y", "--rounds", "2", "--quiet",
                          "-o", model)
    if code == 0:
        event("trained")
        code, out, err = call(capsys, "predict", model, path, "-o", tmp_path / "p.csv")
        if code == 0:
            event("predicted")
            predictions = np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1, ndmin=2)
            assert predictions.size == 0 or np.all(np.isfinite(predictions))
            return
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("treeboost: error:"), lines[0]
    assert not CATCH_ALL.match(lines[0]), f"unanticipated exception: {lines[0]}"
    event("refused")


@QUICK.__class__(QUICK, max_examples=80)
@given(data_files())
def test_readers_quick(tmp_path_factory, file):
    count(SUITE, "quick")
    _reader_case(tmp_path_factory.mktemp("r"), *file)


@pytest.mark.fuzz
@LONG
@given(data_files())
def test_readers_long(tmp_path_factory, file):
    count(SUITE, "long")
    _reader_case(tmp_path_factory.mktemp("r"), *file)


@QUICK
@given(data_files())
def test_train_and_predict_commands_quick(tmp_path_factory, capsys, file):
    count(SUITE, "quick")
    _command_case(tmp_path_factory.mktemp("c"), capsys, *file)


@pytest.mark.fuzz
@LONG
@given(data_files())
def test_train_and_predict_commands_long(tmp_path_factory, capsys, file):
    count(SUITE, "long")
    _command_case(tmp_path_factory.mktemp("c"), capsys, *file)


# -- regressions ---------------------------------------------------------------------------
@pytest.mark.parametrize("index", [10**9, 10**12, 2**63])
def test_libsvm_huge_feature_index_is_refused_before_allocating(tmp_path, index):
    """Regression: ``1 99999999999:1`` made the reader raise OverflowError (printed as the
    catch-all "OverflowError: ..."), and an index of 10**9 asked for a 15 GiB dense table."""
    path = tmp_path / "huge.svm"
    path.write_text(f"1 {index}:1\n0 1:1\n")
    with pytest.raises(_io.CLIError, match="LibSVM: .*(too large|GiB)"):
        _io.read_training(str(path), None, None)


def test_csv_number_beyond_float64_is_refused(tmp_path):
    """Regression: a numeric CSV column holding ``1e999`` read as text and trained silently as
    a categorical feature."""
    path = tmp_path / "big.csv"
    path.write_text("a,y\n1e999,1\n2,2\n3,1\n")
    with pytest.raises(_io.CLIError, match="column 'a' .* '1e999', a number beyond"):
        _io.read_training(str(path), None, "y")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_infinite_target_is_refused_naming_column_and_file(tmp_path, suffix):
    """Regression (found by test_readers_long): a Parquet or CSV target holding inf passed the
    reader, and failed later as "label contains inf at position 0", naming neither the column
    nor the file."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0], "y": [1.0, np.inf]})
    path = tmp_path / f"d{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        pytest.importorskip("pyarrow")
        frame.to_parquet(path)
    with pytest.raises(_io.CLIError, match=r"target column 'y' in .* holds inf at row 1"):
        _io.read_training(str(path), None, "y")


def test_csv_text_column_is_still_categorical(tmp_path):
    path = tmp_path / "cat.csv"
    path.write_text("a,y\nred,1\nblue,2\nred,1\n")
    X, y = _io.read_training(str(path), None, "y")
    assert list(X["a"]) == ["red", "blue", "red"]
    assert math.isclose(y.sum(), 4.0)
