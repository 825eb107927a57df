"""Dataset: validated features, labels and row metadata, binned lazily on first use."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .adapters import to_float_matrix
from .binning import BinMapper, check_max_bin
from .frames import (
    encode_columns,
    is_table,
    needs_column_encoding,
    resolve_categorical,
    table_columns,
)
from .queries import (
    QueryIndex,
    adjacent_group_sizes,
    build_query_index,
    check_qid,
    check_whole_queries,
    qid_from_group,
)
from .sparse import as_csr, is_sparse

__all__ = ["Dataset", "NotSupportedYetError"]


class NotSupportedYetError(NotImplementedError, ValueError):
    """A valid request for a feature treeboost does not have yet (catchable as ValueError too)."""


# Rows per block when scanning for inf: bounds the temporary boolean mask to ~1M entries.
_SCAN_ELEMENTS = 1 << 20


def _find_first_inf(matrix: np.ndarray) -> tuple[int, int] | None:
    """(row, column) of the first infinite value in row order, or None."""
    n_rows, n_cols = matrix.shape
    step = max(1, _SCAN_ELEMENTS // max(1, n_cols))
    for start in range(0, n_rows, step):
        mask = np.isinf(matrix[start : start + step])
        if mask.any():
            row = int(np.flatnonzero(mask.any(axis=1))[0])
            return start + row, int(np.flatnonzero(mask[row])[0])
    return None


def _as_float64(values: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from exc


def _check_finite(array: np.ndarray, name: str, what: str) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        position = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), array.shape))
        where = position[0] if array.ndim == 1 else position
        raise ValueError(
            f"{name} contains {array[position]} at position {where}; {what} must be finite "
            "(no NaN or inf)"
        )


def _check_vector(values: Any, name: str, n_rows: int) -> np.ndarray:
    array = _as_float64(values, name)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise ValueError(
            f"{name} must have shape ({n_rows},) to match the {n_rows} rows of data, "
            f"got shape {array.shape}"
        )
    return np.ascontiguousarray(array)


def _check_label(label: Any, n_rows: int) -> np.ndarray:
    """1-d labels, or a 2-d (n_rows, k) block with k >= 2 for multi-output regression."""
    array = _as_float64(label, "label")
    if array.ndim == 2 and array.shape[0] == n_rows and array.shape[1] >= 2:
        y = np.ascontiguousarray(array)
    else:
        y = _check_vector(label, "label", n_rows)
    _check_finite(y, "label", "labels")
    return y


def _check_weight(weight: Any, n_rows: int) -> np.ndarray:
    w = _check_vector(weight, "weight", n_rows)
    _check_finite(w, "weight", "weights")
    negative = np.flatnonzero(w < 0)
    if negative.size:
        raise ValueError(
            f"weight contains the negative value {w[negative[0]]} at position {negative[0]}; "
            "weights must be >= 0"
        )
    if not (w > 0).any():
        raise ValueError("weight is zero for every row; at least one weight must be positive")
    return w


# Gradients and hessians are float32 (largest finite value 3.4e38). A weighted gradient of a
# squared-error-like loss is about (|label| + |margin|) * weight, so that product is bounded
# well inside the float32 range; a nonzero weight below the smallest normal float32 would turn
# into zero (the row silently dropped). Beyond these bounds a model would learn nothing or NaN.
GRADIENT_SCALE_LIMIT = 1e37
MIN_POSITIVE_WEIGHT = 1e-37


def _check_gradient_scale(
    label: np.ndarray | None, weight: np.ndarray | None, base_margin: np.ndarray | None
) -> None:
    if weight is not None:
        positive = weight[weight > 0]
        if positive.size and positive.min() < MIN_POSITIVE_WEIGHT:
            position = int(np.flatnonzero((weight > 0) & (weight < MIN_POSITIVE_WEIGHT))[0])
            raise ValueError(
                f"weight contains {float(weight[position])!r} at position {position}; a nonzero "
                f"weight must be >= {MIN_POSITIVE_WEIGHT:g} (gradients are float32): rescale "
                "the weights"
            )
    size = 0.0
    if label is not None and label.size:
        size += float(np.max(np.abs(label)))
    if base_margin is not None and base_margin.size:
        size += float(np.max(np.abs(base_margin)))
    scale = 1.0 if weight is None or not weight.size else float(np.max(weight))
    if size * scale > GRADIENT_SCALE_LIMIT or scale > GRADIENT_SCALE_LIMIT:
        raise ValueError(
            f"label, base_margin and weight are too large for float32 gradients: "
            f"(max |label| + max |base_margin|) x max weight = {size:.3g} x {scale:.3g}; "
            f"it must be <= {GRADIENT_SCALE_LIMIT:g}: rescale the labels or the weights"
        )


def _check_base_margin(base_margin: Any, n_rows: int) -> np.ndarray:
    margin = _as_float64(base_margin, "base_margin")
    if margin.ndim not in (1, 2) or margin.shape[0] != n_rows or margin.size == 0:
        raise ValueError(
            f"base_margin must have shape ({n_rows},) or ({n_rows}, n_outputs) to match the "
            f"{n_rows} rows of data, got shape {margin.shape}"
        )
    _check_finite(margin, "base_margin", "base margins")
    return np.ascontiguousarray(margin)


def _check_group(group: Any, n_rows: int) -> np.ndarray:
    sizes = np.asarray(group)
    if sizes.ndim != 1:
        raise ValueError(f"group must be a 1-D array of group sizes, got shape {sizes.shape}")
    if sizes.dtype.kind == "f" and np.all(np.isfinite(sizes)) and np.all(sizes == np.round(sizes)):
        sizes = sizes.astype(np.int64)
    if sizes.dtype.kind not in "iu":
        raise TypeError(f"group must hold integer group sizes, got dtype {sizes.dtype}")
    sizes = sizes.astype(np.int64)
    small = np.flatnonzero(sizes < 1)
    if small.size:
        raise ValueError(
            f"group size at position {small[0]} is {sizes[small[0]]}; every group needs >= 1 row"
        )
    if sizes.sum() != n_rows:
        raise ValueError(
            f"group sizes sum to {sizes.sum()} but data has {n_rows} rows; they must be equal"
        )
    return sizes


def _check_feature_names(names: Any, n_features: int, what: str = "feature_names") -> list[str]:
    if isinstance(names, str) or not isinstance(names, (Sequence, np.ndarray)):
        raise TypeError(f"{what} must be a list of str, got {type(names).__name__}")
    names = list(names)
    for position, name in enumerate(names):
        if not isinstance(name, str):
            raise TypeError(
                f"{what}[{position}] is {name!r} of type {type(name).__name__}; names must be str"
            )
    if len(names) != n_features:
        raise ValueError(f"{what} has {len(names)} names but data has {n_features} columns")
    first_seen: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in first_seen:
            raise ValueError(
                f"{what} contains {name!r} twice (positions {first_seen[name]} and {position}); "
                "names must be unique"
            )
        first_seen[name] = position
    return [str(name) for name in names]


def _check_bound(values: Any, name: str, n_rows: int) -> np.ndarray:
    """A survival-time bound per row: NaN is refused; +inf is allowed (no upper bound)."""
    bound = _check_vector(values, name, n_rows)
    bad = np.flatnonzero(np.isnan(bound) | (bound == -np.inf))
    if bad.size:
        raise ValueError(
            f"{name} contains {bound[bad[0]]} at position {bad[0]}; bounds must be numbers "
            "(+inf is allowed for an open upper bound)"
        )
    return bound


class Dataset:
    """Training or evaluation data: features, labels, weights and the binned matrix.

    Binning is lazy: the :class:`BinMapper` is fitted (or taken from ``reference``) and the matrix
    binned on the first access of :attr:`binned` or :attr:`bin_mapper`.

    Parameters
    ----------
    data : array-like, table or scipy.sparse matrix of shape (n_rows, n_features)
        Numeric features; NaN marks a missing value, inf is rejected. float32 and float64 arrays
        are kept without a copy. A sparse matrix (CSR, CSC, COO ...) stays sparse, binned
        included; its absent entries are zeros (not missing values, unlike XGBoost), so it
        trains the same model as ``data.toarray()``.
    label : array-like of shape (n_rows,) or (n_rows, n_targets), optional
        Finite targets.
    weight : array-like of shape (n_rows,), optional
        Non-negative, finite row weights, not all zero. They also weight the bin quantiles.
    base_margin : array-like of shape (n_rows,) or (n_rows, n_outputs), optional
        Initial raw prediction per row, added before the first tree.
    group : array-like of int, optional
        Sizes of consecutive query groups (for ranking), summing to n_rows.
    qid : array-like of int, optional
        Query id of every row (for ranking), instead of ``group``. The ids need not be sorted
        and a query's rows need not be adjacent: a query is every row with the same id.
    label_lower_bound, label_upper_bound : array-like of shape (n_rows,), optional
        Interval-censored targets of ``survival:aft``: the event happened between the two
        bounds (equal bounds: observed exactly; upper ``inf``: right-censored). The label may
        be left unset when they are given: training then sets it to the lower bound.
    feature_names : list of str, optional
        Unique names, one per column. Default: the DataFrame's column names, else (or, with a
        ``reference``, the reference's names) ``"f0", "f1", ...``.
    categorical_features : "auto", list of int or str, boolean mask, or None
        Which features are categorical. None or "auto": the table's own types decide (pandas
        ``category`` and string columns, polars ``Categorical``/``Enum``/``String``, Arrow
        dictionary and string columns). Otherwise column indices, names or a mask; a numeric
        column named here has its distinct values as categories. Categories are coded by their
        position in the feature's category list (:attr:`categories`); missing values and, in
        data built with a ``reference``, categories the reference never saw are missing (NaN).
    max_bin : int, default=256
        Maximum bins per feature, counting the missing bin (see :class:`BinMapper`). Ignored with
        a ``reference``, whose value is used.
    reference : Dataset, optional
        Training Dataset whose bins this one reuses (for validation and test data). Must have the
        same number of features and the same feature names.
    feature_weights : array-like of shape (n_features,), optional
        Relative chance of each feature being drawn by column sampling (``colsample_*``); a
        feature with weight 0 is never drawn. Default: uniform.

    Attributes
    ----------
    raw : ndarray of float32 or float64, shape (n_rows, n_features)
        The validated feature matrix (a canonical scipy.sparse CSR matrix for sparse data).
    feature_names : list of str
    feature_types : list of str
        ``"float"`` for every feature.
    max_bin : int
    group : ndarray of int64 or None
        Sizes of the query groups when every query's rows are adjacent, else None.
    qid : ndarray of int64 or None
        Query id of every row.
    """

    def __init__(
        self,
        data: Any,
        label: Any = None,
        weight: Any = None,
        base_margin: Any = None,
        group: Any = None,
        feature_names: Sequence[str] | None = None,
        categorical_features: Any = None,
        max_bin: int = 256,
        reference: Dataset | None = None,
        feature_weights: Any = None,
        qid: Any = None,
        label_lower_bound: Any = None,
        label_upper_bound: Any = None,
    ):
        if isinstance(data, Dataset):
            raise TypeError("data is already a Dataset; pass its raw matrix (data.raw) instead")
        if reference is not None and not isinstance(reference, Dataset):
            raise TypeError(f"reference must be a Dataset, got {type(reference).__name__}")

        columns = None
        sparse = is_sparse(data)
        if sparse:
            matrix, input_names = as_csr(data), None
        elif is_table(data) and (categorical_features is not None or needs_column_encoding(data)):
            columns = table_columns(data)
            input_names = [c.name for c in columns]
            n_rows = columns[0].n_rows if columns else 0
            matrix = np.empty((n_rows, len(columns)))
        else:
            matrix, input_names, _ = to_float_matrix(data)
        if matrix.shape[0] == 0 or matrix.shape[1] == 0:
            raise ValueError(
                f"data is empty (shape {matrix.shape}); at least one row and one column are needed"
            )
        n_rows, n_features = matrix.shape
        if feature_names is not None:
            names = _check_feature_names(feature_names, n_features)
        elif input_names is not None:
            names = _check_feature_names(input_names, n_features, what="data column names")
        else:
            names = None

        if reference is not None:
            if reference.num_col() != n_features:
                raise ValueError(
                    f"data has {n_features} columns but the reference Dataset has "
                    f"{reference.num_col()}; validation data needs the training features"
                )
            if names is not None and names != reference.feature_names:
                position = next(
                    i
                    for i, (a, b) in enumerate(zip(names, reference.feature_names, strict=True))
                    if a != b
                )
                raise ValueError(
                    f"feature name {names[position]!r} at position {position} differs from the "
                    f"reference Dataset's {reference.feature_names[position]!r}; feature names "
                    "must match the reference's"
                )
            names = list(reference.feature_names)
            self.max_bin = reference.max_bin
        else:
            self.max_bin = check_max_bin(max_bin)
        names = names or [f"f{i}" for i in range(n_features)]
        if reference is not None:
            categorical = np.array([t == "c" for t in reference.feature_types], dtype=bool)
            known = reference.categories
        else:
            categorical = resolve_categorical(categorical_features, names, columns)
            known = None
        if sparse and categorical.any():
            f = int(np.flatnonzero(categorical)[0])
            raise NotSupportedYetError(
                f"feature {names[f]!r} is categorical, which needs dense or table input; sparse "
                "data has no categories (pass it as a DataFrame, or leave categorical_features "
                "unset)"
            )
        matrix, categories = encode_columns(columns, matrix, names, categorical, known)
        feature_types = ["c" if c else "float" for c in categorical]
        self.categories: list[list | None] = categories
        if not sparse:  # as_csr checked the stored values
            self._check_no_inf(matrix, names)

        self.raw = matrix
        self.feature_names: list[str] = names
        self.feature_types: list[str] = feature_types
        self.label = label
        self.weight = weight
        self.base_margin = base_margin
        if group is not None and qid is not None:
            raise ValueError("pass the query groups as group= (sizes) or qid= (ids), not both")
        if group is not None:
            self.qid = qid_from_group(_check_group(group, n_rows))
        else:
            self.qid = None if qid is None else check_qid(qid, n_rows)
        self.label_lower_bound = label_lower_bound
        self.label_upper_bound = label_upper_bound
        self.feature_weights = feature_weights
        self._reference = reference
        self._bin_mapper: BinMapper | None = None
        self._binned: np.ndarray | None = None
        # Set on slices only: the parent and the rows taken from it, to reuse its binned matrix.
        self._parent: Dataset | None = None
        self._parent_rows: np.ndarray | None = None

    @classmethod
    def from_libsvm(
        cls,
        path: str,
        query: str | None | bool = "auto",
        n_features: int | None = None,
        zero_based: bool | str = "auto",
        sparse: bool = False,
        **kwargs: Any,
    ) -> Dataset:
        """Load a LibSVM / SVMlight file (``label index:value ...``, optional ``qid:``).

        Parameters
        ----------
        path : str
            The file.
        query : "auto", str, None or False
            Query group sizes for ranking: a file with one size per line; "auto" reads
            ``<path>.query`` when it exists (LightGBM's convention) or the file's ``qid:`` fields.
        n_features : int, optional
            Number of features (for a test file whose last columns happen to be absent).
        zero_based : bool or "auto"
            Whether feature indices start at 0; "auto" infers it as scikit-learn does.
        sparse : bool
            Keep the features as a sparse CSR matrix (for wide files); default dense.
        **kwargs
            Passed to :class:`Dataset` (``weight``, ``max_bin``, ``reference`` ...).

        Absent entries are zeros (the file's sparse meaning), not missing values; the model is
        the same either way.
        """
        from .libsvm import read_group_sizes, read_libsvm

        if kwargs.get("reference") is not None and n_features is None:
            n_features = kwargs["reference"].num_col()
        X, y, qid = read_libsvm(path, n_features=n_features, zero_based=zero_based)
        group = file_qid = None
        if query == "auto":
            if os.path.exists(path + ".query"):
                group = read_group_sizes(path + ".query")
            else:
                file_qid = qid  # the rows of a query need not be adjacent
        elif query:
            group = read_group_sizes(str(query))
        return cls(X if sparse else X.toarray(), label=y, group=group, qid=file_qid, **kwargs)

    @staticmethod
    def _check_no_inf(matrix: np.ndarray, names: list[str]) -> None:
        found = _find_first_inf(matrix)
        if found is not None:
            row, column = found
            raise ValueError(
                f"data contains {matrix[row, column]} in column {names[column]!r} "
                f"(index {column}), first at row {row}; infinite features are not supported: use "
                "NaN for a missing value or clip to a finite value"
            )

    # -- labels and row metadata (validated on every assignment) --------------------------------

    @property
    def label(self) -> np.ndarray | None:
        """float64 (n_rows,) targets, or None."""
        return self._label

    @label.setter
    def label(self, value: Any) -> None:
        label = None if value is None else _check_label(value, self.num_row())
        _check_gradient_scale(
            label, getattr(self, "_weight", None), getattr(self, "_base_margin", None)
        )
        self._label = label

    @property
    def weight(self) -> np.ndarray | None:
        """float64 (n_rows,) row weights, or None."""
        return self._weight

    @weight.setter
    def weight(self, value: Any) -> None:
        weight = None if value is None else _check_weight(value, self.num_row())
        _check_gradient_scale(
            getattr(self, "_label", None), weight, getattr(self, "_base_margin", None)
        )
        self._weight = weight

    @property
    def base_margin(self) -> np.ndarray | None:
        """float64 (n_rows,) or (n_rows, n_outputs) initial margins, or None."""
        return self._base_margin

    @base_margin.setter
    def base_margin(self, value: Any) -> None:
        margin = None if value is None else _check_base_margin(value, self.num_row())
        _check_gradient_scale(getattr(self, "_label", None), getattr(self, "_weight", None), margin)
        self._base_margin = margin

    @property
    def qid(self) -> np.ndarray | None:
        """int64 (n_rows,) query id of every row, or None."""
        return self._qid

    @qid.setter
    def qid(self, value: np.ndarray | None) -> None:
        self._qid = value
        self._query_index: QueryIndex | None = None

    @property
    def group(self) -> np.ndarray | None:
        """int64 sizes of the query groups when each query's rows are adjacent, else None."""
        return None if self._qid is None else adjacent_group_sizes(self._qid)

    def set_group(self, group: Any) -> None:
        """Set the query groups from their sizes (adjacent rows); None removes them."""
        self.qid = None if group is None else qid_from_group(_check_group(group, self.num_row()))

    def set_qid(self, qid: Any) -> None:
        """Set the query id of every row; None removes the queries."""
        self.qid = None if qid is None else check_qid(qid, self.num_row())

    def query_index(self) -> QueryIndex | None:
        """The rows of each query (built once), or None when the data has no queries."""
        if self._qid is None:
            return None
        if self._query_index is None:
            self._query_index = build_query_index(self._qid)
        return self._query_index

    @property
    def label_lower_bound(self) -> np.ndarray | None:
        """float64 (n_rows,) lower bounds of interval-censored targets, or None."""
        return self._label_lower_bound

    @label_lower_bound.setter
    def label_lower_bound(self, value: Any) -> None:
        bound = None if value is None else _check_bound(value, "label_lower_bound", self.num_row())
        self._label_lower_bound = bound
        self._check_bounds_ordered()

    @property
    def label_upper_bound(self) -> np.ndarray | None:
        """float64 (n_rows,) upper bounds of interval-censored targets (inf: open), or None."""
        return self._label_upper_bound

    @label_upper_bound.setter
    def label_upper_bound(self, value: Any) -> None:
        bound = None if value is None else _check_bound(value, "label_upper_bound", self.num_row())
        self._label_upper_bound = bound
        self._check_bounds_ordered()

    def _check_bounds_ordered(self) -> None:
        lower = getattr(self, "_label_lower_bound", None)
        upper = getattr(self, "_label_upper_bound", None)
        if lower is None or upper is None:
            return
        bad = np.flatnonzero(lower > upper)
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"label_lower_bound[{i}] = {lower[i]} is above label_upper_bound[{i}] = "
                f"{upper[i]}; each lower bound must be <= its upper bound"
            )

    def set_float_info(self, field: str, values: Any) -> None:
        """Set ``label``, ``weight``, ``base_margin``, ``label_lower_bound`` or
        ``label_upper_bound`` by name (XGBoost's spelling)."""
        fields = ("label", "weight", "base_margin", "label_lower_bound", "label_upper_bound")
        if field not in fields:
            raise ValueError(f"field={field!r} is not valid; valid: {', '.join(fields)}")
        setattr(self, field, values)

    @property
    def feature_weights(self) -> np.ndarray | None:
        """float64 (n_features,) relative chances of each feature in column sampling, or None."""
        return self._feature_weights

    @feature_weights.setter
    def feature_weights(self, value: Any) -> None:
        if value is None:
            self._feature_weights = None
            return
        fw = np.ascontiguousarray(_as_float64(value, "feature_weights"))
        if fw.shape != (self.num_col(),):
            raise ValueError(
                f"feature_weights must have shape ({self.num_col()},), one per feature; "
                f"got shape {fw.shape}"
            )
        _check_finite(fw, "feature_weights", "feature weights")
        if (fw < 0).any() or not (fw > 0).any():
            raise ValueError(
                "feature_weights must be >= 0 with at least one positive value; got "
                f"{fw.tolist()[:10]}"
            )
        self._feature_weights = fw

    @property
    def is_sparse(self) -> bool:
        """Whether the features are a scipy.sparse CSR matrix (kept sparse when binned)."""
        return is_sparse(self.raw)

    def num_row(self) -> int:
        """Number of rows."""
        return int(self.raw.shape[0])

    def num_col(self) -> int:
        """Number of features."""
        return int(self.raw.shape[1])

    def get_label(self) -> np.ndarray | None:
        """Return the labels (float64, shape (n_rows,)) or None."""
        return self.label

    def get_weight(self) -> np.ndarray | None:
        """Return the row weights (float64, shape (n_rows,)) or None."""
        return self.weight

    def get_base_margin(self) -> np.ndarray | None:
        """Return the base margins (float64, (n_rows,) or (n_rows, n_outputs)) or None."""
        return self.base_margin

    def set_label(self, label: Any) -> None:
        """Validate and set the labels (None removes them)."""
        self.label = label

    def set_weight(self, weight: Any) -> None:
        """Validate and set the row weights (None removes them).

        Bins already computed are kept: weights set after the first access of :attr:`binned`
        do not change the bin thresholds.
        """
        self.weight = weight

    def set_base_margin(self, base_margin: Any) -> None:
        """Validate and set the base margins (None removes them)."""
        self.base_margin = base_margin

    # -- bins ----------------------------------------------------------------------------------

    @property
    def bin_mapper(self) -> BinMapper:
        """The fitted :class:`BinMapper`: the reference's, else fitted here on first use."""
        if self._reference is not None:
            return self._reference.bin_mapper
        if self._bin_mapper is None:
            sizes = [0 if c is None else len(c) for c in self.categories]
            self._bin_mapper = BinMapper(max_bin=self.max_bin).fit(
                self.raw, self.weight, n_categories=sizes
            )
        return self._bin_mapper

    @property
    def binned(self) -> np.ndarray:
        """uint8 (uint16 if max_bin > 256) C-contiguous (n_rows, n_features) bin matrix, or
        for sparse data a :class:`~treeboost.data.sparse.SparseBins`."""
        if self._binned is None:
            parent = self._parent
            if parent is not None and parent._binned is not None and not self.is_sparse:
                self._binned = np.ascontiguousarray(parent._binned[self._parent_rows])
            else:
                self._binned = self.bin_mapper.transform(self.raw)
        return self._binned

    def slice(self, row_indices: Any) -> Dataset:
        """Return the rows ``row_indices`` as a new Dataset sharing this one's bins.

        Parameters
        ----------
        row_indices : array-like of int or bool
            Row positions in [0, n_rows) (a bool mask of length n_rows also works).

        Returns
        -------
        Dataset
            Its :attr:`bin_mapper` is this Dataset's; its :attr:`binned` is cut from this
            Dataset's binned matrix when that is already built.
        """
        rows = np.asarray(row_indices)
        n_rows = self.num_row()
        if rows.dtype == np.bool_:
            if rows.shape != (n_rows,):
                raise ValueError(
                    f"a boolean row_indices mask must have shape ({n_rows},), got {rows.shape}"
                )
            rows = np.flatnonzero(rows)
        elif rows.dtype.kind not in "iu" or rows.ndim != 1:
            raise TypeError(
                f"row_indices must be a 1-D array of integers (or a boolean mask), got dtype "
                f"{rows.dtype} and shape {rows.shape}"
            )
        rows = rows.astype(np.int64)
        if rows.size == 0:
            raise ValueError("row_indices selects no rows; a Dataset needs at least one row")
        out_of_range = np.flatnonzero((rows < 0) | (rows >= n_rows))
        if out_of_range.size:
            raise ValueError(
                f"row_indices[{out_of_range[0]}] = {rows[out_of_range[0]]} is out of range; "
                f"valid rows are 0 to {n_rows - 1}"
            )

        subset = object.__new__(Dataset)
        subset.raw = self.raw[rows]
        subset.feature_names = list(self.feature_names)
        subset.feature_types = list(self.feature_types)
        subset.categories = list(self.categories)
        subset.max_bin = self.max_bin
        # Already validated: take the rows without checking again.
        subset._label = None if self._label is None else self._label[rows]
        subset._weight = None if self._weight is None else self._weight[rows]
        subset._base_margin = None if self._base_margin is None else self._base_margin[rows]
        if self._qid is not None:
            check_whole_queries(self._qid, rows)
        subset.qid = None if self._qid is None else self._qid[rows]
        subset._label_lower_bound = (
            None if self._label_lower_bound is None else self._label_lower_bound[rows]
        )
        subset._label_upper_bound = (
            None if self._label_upper_bound is None else self._label_upper_bound[rows]
        )
        subset._feature_weights = self._feature_weights
        subset._reference = self
        subset._bin_mapper = None
        subset._binned = None
        subset._parent = self
        subset._parent_rows = rows
        return subset

    def __repr__(self) -> str:
        return (
            f"Dataset(n_rows={self.num_row()}, n_features={self.num_col()}, "
            f"max_bin={self.max_bin}, has_label={self.label is not None})"
        )
