"""What every ``treeboost`` command shares for input and output: reading data and model files,
writing CSV and PNG files, telling whether stdout is a terminal, and the one-line error type.

Every user-facing failure is a :class:`CLIError`, which ``treeboost`` prints as one line.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

LIBSVM_SUFFIXES = (".svm", ".libsvm", ".txt")
CSV_SUFFIXES = (".csv", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
FORMATS = ("csv", "libsvm", "parquet")


class CLIError(Exception):
    """A user-facing failure: reported as one line, exit status 2."""


# What a MODEL argument may be: the converters of interop/ read the foreign files.
MODEL_HELP = "model file: treeboost JSON, XGBoost JSON/UBJSON or LightGBM text"


def stdout_is_tty() -> bool:
    """Whether a person is watching stdout (live progress is drawn only then).

    Commands call it as ``_io.stdout_is_tty()``, looked up when they run, so a test can patch
    this one name and every command sees it.
    """
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def add_format_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="data format (default: from the file extension: .csv, .svm/.libsvm/.txt, .parquet)",
    )


def detect_format(path: str, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes]
    for suffix in reversed(suffixes):
        if suffix in CSV_SUFFIXES:
            return "csv"
        if suffix in LIBSVM_SUFFIXES:
            return "libsvm"
        if suffix in PARQUET_SUFFIXES:
            return "parquet"
    raise CLIError(
        f"cannot tell the format of {path!r} from its extension; pass --format csv, libsvm "
        "or parquet"
    )


def check_readable(path: str, what: str = "data file") -> None:
    if not os.path.exists(path):
        raise CLIError(f"{what} {path!r} does not exist")
    if os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is a directory, not a file")


def _read_frame(path: str, fmt: str):
    """CSV or Parquet as a DataFrame."""
    import pandas as pd

    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise CLIError(
                f"reading Parquet ({path!r}) needs pyarrow; install the arrow extra: "
                "pip install 'treeboost[arrow]'"
            ) from None
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises its own types
            raise CLIError(f"cannot read {path!r} as Parquet: {one_line(exc)}") from None
    sep = "\t" if path.lower().endswith(".tsv") else ","
    try:
        # round_trip: a number written with all its digits reads back as the same float (the
        # default fast parser can be one unit in the last place off, which moves split
        # thresholds: the same rows from CSV and Parquet would train different models).
        frame = pd.read_csv(path, sep=sep, float_precision="round_trip")
    except pd.errors.EmptyDataError:
        raise CLIError(f"{path!r} is empty; expected a CSV file with a header row") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise CLIError(f"cannot read {path!r} as CSV: {one_line(exc)}") from None
    _check_overflowing_numbers(frame, path)
    return frame


def _check_overflowing_numbers(frame, path: str) -> None:
    """A column of numbers with one beyond the float64 range (``1e999``) reads as text, and
    would silently train as a categorical feature: refuse it, naming the column and value."""
    import math

    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        present = column.dropna()
        if not len(present) or not all(isinstance(v, str) for v in present):
            continue
        try:
            numbers = [float(v) for v in present]
        except ValueError:  # text: a categorical column
            continue
        for text, number in zip(present, numbers):
            if math.isinf(number):
                raise CLIError(
                    f"column {name!r} in {path!r} holds {text[:30]!r}, a number beyond the "
                    "float64 range (about 1.8e308)"
                )


def _read_libsvm(path: str, n_features: int | None = None):
    """LibSVM file as a dense float matrix and its labels (indices are taken as 0-based)."""
    from sklearn.datasets import load_svmlight_file

    try:
        X, y = load_svmlight_file(path, n_features=n_features, zero_based=True)
    except UnicodeDecodeError:
        raise CLIError(f"cannot read {path!r} as LibSVM: not a text file") from None
    except ValueError as exc:
        message = one_line(exc)
        if n_features is not None and "n_features" in message:
            message = f"it has more features than the model's {n_features}"
        raise CLIError(f"cannot read {path!r} as LibSVM: {message}") from None
    except OverflowError:  # a feature index beyond the integer range of the reader
        raise CLIError(
            f"cannot read {path!r} as LibSVM: a feature index is too large"
        ) from None
    _check_dense_size(path, X.shape)
    return X.toarray(), y


# The share of available memory a LibSVM file may take once made dense (its rows become a
# dense float64 table): the rest is for binning and training.
_DENSE_SHARE = 4


def _check_dense_size(path: str, shape: tuple[int, int]) -> None:
    """Refuse, before allocating, a sparse file whose dense table would not fit in memory (one
    line ``1 99999999999:1`` would otherwise ask for terabytes)."""
    from ..tree.histogram import available_memory

    needed = 8 * int(shape[0]) * int(shape[1])
    available = available_memory()
    if available is not None and needed * _DENSE_SHARE > available:
        raise CLIError(
            f"cannot read {path!r} as LibSVM: its largest feature index makes a dense table of "
            f"{shape[0]} rows x {shape[1]} columns, {needed / 2**30:.1f} GiB, more than a "
            f"quarter of the {available / 2**30:.1f} GiB available"
        )


def _numeric_target(frame, target: str, path: str):
    import numpy as np
    import pandas as pd

    if target not in frame.columns:
        raise CLIError(
            f"target column {target!r} is not in {path!r}; columns: {names_preview(frame.columns)}"
        )
    try:
        y = pd.to_numeric(frame[target], errors="raise").to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise CLIError(
            f"target column {target!r} in {path!r} must be numeric (encode classes as 0, 1, ...)"
        ) from None
    if np.isnan(y).any():
        row = int(np.flatnonzero(np.isnan(y))[0])
        raise CLIError(f"target column {target!r} in {path!r} is missing a value at row {row}")
    if np.isinf(y).any():
        row = int(np.flatnonzero(np.isinf(y))[0])
        raise CLIError(
            f"target column {target!r} in {path!r} holds {y[row]} at row {row}; labels must be "
            "finite"
        )
    return y


def read_training(path: str, fmt: str | None, target: str | None, n_features: int | None = None):
    """Features (DataFrame or ndarray) and labels of a labelled data file."""
    check_readable(path)
    fmt = detect_format(path, fmt)
    if fmt == "libsvm":
        return _read_libsvm(path, n_features)
    if not target:
        raise CLIError(f"--target COL is required for {fmt} data ({path!r})")
    frame = _read_frame(path, fmt)
    y = _numeric_target(frame, target, path)
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise CLIError(f"{path!r} has no feature columns besides the target {target!r}")
    return X, y


def read_labelled_for_model(path: str, fmt: str | None, target: str | None, booster):
    """Labels and the model's feature columns of a labelled data file."""
    fmt = detect_format(path, fmt) if os.path.exists(path) else fmt
    if fmt == "libsvm":
        return read_training(path, fmt, None, booster.n_features)
    X, y = read_training(path, fmt, target)
    return select_features(X, booster.feature_names, path), y


def _default_names(names: list[str]) -> bool:
    return names == [f"f{i}" for i in range(len(names))]


def read_features(path: str, fmt: str | None, feature_names: list[str]):
    """The model's features from a data file: extra columns (such as the target) are dropped."""
    check_readable(path)
    fmt = detect_format(path, fmt)
    if fmt == "libsvm":
        X, _ = _read_libsvm(path, len(feature_names))
        return X
    frame = _read_frame(path, fmt)
    return select_features(frame, feature_names, path)


def select_features(frame, feature_names: list[str], path: str):
    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    missing = [name for name in feature_names if name not in columns]
    if not missing:
        return frame[feature_names]
    if _default_names(feature_names) and len(columns) == len(feature_names):
        # A model trained on unnamed (LibSVM) columns: take the columns by position.
        return frame.set_axis(feature_names, axis=1)
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    raise CLIError(f"model feature {missing[0]!r}{more} is missing from {path!r}")


def names_preview(names, limit: int = 20) -> str:
    names = [str(n) for n in names]
    text = ", ".join(names[:limit])
    if len(names) > limit:
        text += f", ... ({len(names) - limit} more)"
    return text


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _model_source(path: str) -> str:
    """Which library wrote a model file, from its first bytes: XGBoost's JSON and UBJSON open an
    object whose first key is "learner" (UBJSON also by the .ubj extension), LightGBM's text
    model starts with "tree"; anything else is read as a treeboost model file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise CLIError(f"cannot read model file {path!r}: {exc}") from None
    start = head.lstrip()
    if Path(path).suffix.lower() == ".ubj" or (
        start.startswith(b"{") and b"learner" in start[:24]
    ):
        return "XGBoost"
    if start.startswith(b"tree\n") or start.startswith(b"tree\r\n"):
        return "LightGBM"
    return "treeboost"


def load_booster(path: str):
    from ..model.booster import Booster

    check_readable(path, "model file")
    source = _model_source(path)
    try:
        if source == "XGBoost":
            return Booster.from_xgboost(Path(path))
        if source == "LightGBM":
            return Booster.from_lightgbm(Path(path))
        return Booster.load_model(Path(path))
    except ImportError:
        raise CLIError(f"{path!r} is a {source} model, which this treeboost cannot read") from None
    except ValueError as exc:
        raise CLIError(f"{path!r} is not a valid {source} model: {one_line(exc)}") from None


def check_output(path: str) -> None:
    if path == "-":
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise CLIError(f"cannot write {path!r}: directory {parent!r} does not exist")
    if os.path.isdir(path):
        raise CLIError(f"cannot write {path!r}: it is a directory")


def write_csv(frame, path: str) -> None:
    """A DataFrame as CSV without the index, to ``path`` or stdout for ``-``."""
    if path == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    try:
        frame.to_csv(path, index=False)
    except OSError as exc:
        raise CLIError(f"cannot write {path!r}: {exc.strerror or exc}") from None


def write_bytes(data: bytes, path: str) -> None:
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise CLIError(f"cannot write {path!r}: {exc.strerror or exc}") from None
