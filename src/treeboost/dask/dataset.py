""":class:`DaskDataset`: training data spread over a Dask cluster, binned where it lives."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import Dataset
from ..data.binning import BinMapper
from ._shard import BinnedPart, stack_parts
from ._sketch import merged_mapper, summarise_column

# Rows the sketch reads at most, all partitions together (BinMapper's default subsample).
SKETCH_ROWS = 200_000


def _is_dask_array(obj: Any) -> bool:
    import dask.array as da

    return isinstance(obj, da.Array)


def _is_dask_frame(obj: Any) -> bool:
    import dask.dataframe as dd

    return isinstance(obj, (dd.DataFrame, dd.Series))


def _partitions(obj: Any, what: str, row_chunks: tuple | None) -> list:
    """Delayed objects, one per row partition of ``obj`` (a dask array, DataFrame or Series)."""
    if _is_dask_array(obj):
        if obj.ndim == 2:
            obj = obj.rechunk({1: -1})
        if row_chunks is not None and obj.chunks[0] != row_chunks:
            obj = obj.rechunk({0: row_chunks})
        return list(obj.to_delayed().ravel())
    if _is_dask_frame(obj):
        return list(obj.to_delayed())
    raise TypeError(
        f"{what} must be a dask array, DataFrame or Series, got {type(obj).__name__}; wrap "
        "in-memory data with dask.array.from_array or dask.dataframe.from_pandas"
    )


def _template(head: Any, feature_names, categorical_features, max_bin: int) -> Dataset:
    """A one-row Dataset that carries the features' names, types and categories (and later the
    bins) to every partition: each partition is encoded against it as validation data is
    against its training Dataset."""
    return Dataset(
        head, feature_names=feature_names, categorical_features=categorical_features,
        max_bin=max_bin,
    )  # fmt: skip


def _frame_categories_known(frame: Any) -> None:
    import pandas as pd

    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype) and not frame[name].cat.known:
            raise ValueError(
                f"categorical column {name!r} has unknown categories; call .categorize() (or "
                "astype with a CategoricalDtype) so every partition shares one category list"
            )
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            raise ValueError(
                f"column {name!r} holds strings; convert it to a categorical with known "
                "categories (.categorize()) for Dask training"
            )


def _column_values(part: Any, f: int) -> np.ndarray | None:
    """Feature ``f`` of a partition as float64, or None for a categorical-dtype column (its
    category list is declared by the dtype and needs no sketch)."""
    if not hasattr(part, "dtypes"):
        return np.asarray(part[:, f], dtype=np.float64)
    import pandas as pd

    series = part.iloc[:, f]
    if isinstance(series.dtype, pd.CategoricalDtype):
        return None
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _sketch_partition(
    part: Any, weight: Any, template: Dataset, size: int, n_sample: int, seed: tuple
) -> list:
    """Per feature: a numeric feature's summary (points, mass); a categorical feature's
    distinct values when its categories are not declared by a dtype, else None. ``n_sample``
    rows are sketched (drawn at random when fewer than the partition's)."""
    n_rows = len(part)
    rows = None
    if n_sample < n_rows:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n_rows, size=max(n_sample, 1), replace=False))
        part = part.iloc[rows] if hasattr(part, "iloc") else part[rows]
    scale = 1.0 if rows is None else n_rows / rows.shape[0]
    w = None if weight is None else np.asarray(weight, dtype=np.float64).ravel()
    if w is not None and rows is not None:
        w = w[rows]
    out = []
    for f, kind in enumerate(template.feature_types):
        column = _column_values(part, f)
        if kind == "c":
            out.append(None if column is None else np.unique(column[~np.isnan(column)]))
        else:
            out.append(summarise_column(column, w, size, scale))
    return out


def _partition_length(part: Any) -> int:
    return len(part)


def _bin_partition(part, label, weight, base_margin, template: Dataset) -> BinnedPart:
    data = Dataset(part, label=label, weight=weight, base_margin=base_margin, reference=template)
    return BinnedPart(
        binned=data.binned, label=data.label, weight=data.weight, base_margin=data.base_margin
    )


def _n_rows(part: BinnedPart) -> int:
    return part.n_rows


class DaskDataset:
    """Training or evaluation data on a Dask cluster.

    Each partition is validated and binned on the worker that holds it, and stays there: the
    training run reads it in place. Bins come from a quantile sketch merged across partitions
    (see :mod:`treeboost.dask._sketch` for its error bound), from ``bins`` when given (exact:
    the same bins as one machine), or from ``reference`` (evaluation data uses its training
    data's bins).

    Parameters
    ----------
    client : distributed.Client
    data : dask.array.Array (2-d) or dask.dataframe.DataFrame
        Features. Categorical DataFrame columns need known categories (``.categorize()``).
    label, weight, base_margin : dask array or Series, optional
        Partitioned like ``data`` (a dask array is rechunked to ``data``'s row chunks).
    feature_names, categorical_features, max_bin
        As for :class:`treeboost.Dataset`.
    reference : DaskDataset, optional
        Take its features' names, types, categories and bins (for evaluation sets).
    bins : BinMapper or treeboost.Dataset, optional
        Exact bins: a fitted BinMapper, or a Dataset whose bins, names, types and categories
        are used (training then matches one machine on that Dataset).
    sketch_size : int, default 1024
        Points per feature and partition in the quantile sketch.
    sketch_seed : int, default 0
        Seed of the rows sketched when the table has more than 200,000 (as one machine's
        BinMapper samples that many).
    """

    def __init__(
        self,
        client: Any,
        data: Any,
        label: Any = None,
        weight: Any = None,
        base_margin: Any = None,
        feature_names: list[str] | None = None,
        categorical_features: Any = None,
        max_bin: int = 256,
        reference: DaskDataset | None = None,
        bins: BinMapper | Dataset | None = None,
        sketch_size: int = 1024,
        sketch_seed: int = 0,
    ):
        import dask
        from distributed import wait as distributed_wait

        if reference is not None and not isinstance(reference, DaskDataset):
            raise TypeError(f"reference must be a DaskDataset, got {type(reference).__name__}")
        if bins is not None and not isinstance(bins, (BinMapper, Dataset)):
            raise TypeError(
                f"bins must be a fitted BinMapper or a treeboost.Dataset, got {type(bins).__name__}"
            )
        if isinstance(sketch_size, bool) or not isinstance(sketch_size, int) or sketch_size < 2:
            raise ValueError(f"sketch_size={sketch_size!r} must be an integer >= 2")
        if _is_dask_array(data):
            if data.ndim != 2:
                raise ValueError(f"data must be a 2-d dask array, got {data.ndim} dimension(s)")
            data = data.rechunk({1: -1})
            row_chunks = data.chunks[0]
            if any(np.isnan(c) for c in row_chunks):
                data = data.compute_chunk_sizes()
                row_chunks = data.chunks[0]
        elif _is_dask_frame(data) and data.ndim == 2:
            row_chunks = None
            _frame_categories_known(data)
        else:
            raise TypeError(
                f"data must be a 2-d dask array or a dask DataFrame, got {type(data).__name__}"
            )
        self.client = client
        parts = _partitions(data, "data", None)
        columns = {}
        for name, values in (("label", label), ("weight", weight), ("base_margin", base_margin)):
            if values is None:
                columns[name] = [None] * len(parts)
                continue
            columns[name] = _partitions(values, name, row_chunks)
            if len(columns[name]) != len(parts):
                raise ValueError(
                    f"{name} has {len(columns[name])} partitions but data has {len(parts)}; "
                    "partition them alike (take both from one DataFrame, or rechunk)"
                )
        self.has_label = label is not None

        if reference is not None:
            self.template = reference.template
        elif isinstance(bins, Dataset):
            self.template = _template(bins.raw[:1], bins.feature_names, None, bins.max_bin)
            self.template.feature_types = list(bins.feature_types)
            self.template.categories = list(bins.categories)
            self.template._bin_mapper = bins.bin_mapper
        else:
            head = data[:1].compute() if _is_dask_array(data) else data.head(1, npartitions=-1)
            self.template = _template(head, feature_names, categorical_features, max_bin)
            if bins is not None:
                if bins.n_features_ != self.template.num_col():
                    raise ValueError(
                        f"bins has {bins.n_features_} features; data has {self.template.num_col()}"
                    )
                self.template._bin_mapper = bins
            else:
                self._sketch(parts, columns["weight"], sketch_size, row_chunks, seed=sketch_seed)

        with dask.config.set({"optimization.fuse.active": False}):
            binned = [
                dask.delayed(_bin_partition)(p, y, w, m, self.template)
                for p, y, w, m in zip(parts, columns["label"], columns["weight"],
                                      columns["base_margin"])
            ]  # fmt: skip
        parts = client.compute(binned)
        self.part_rows = [int(n) for n in client.gather(client.map(_n_rows, parts))]
        offsets = [int(o) for o in np.concatenate(([0], np.cumsum(self.part_rows)))[:-1]]
        self.n_partitions = len(parts)
        # One block per worker: its partitions stacked where they are; the partitions' own
        # futures are dropped, so each worker keeps its binned rows once.
        where = client.who_has(parts)
        by_worker: dict[str, list[int]] = {}
        for i, future in enumerate(parts):
            by_worker.setdefault(where[future.key][0], []).append(i)
        self.blocks = {
            address: client.submit(
                stack_parts, [parts[i] for i in rows], [offsets[i] for i in rows],
                workers=[address], allow_other_workers=False, pure=False,
            )
            for address, rows in by_worker.items()
        }  # fmt: skip
        distributed_wait(list(self.blocks.values()))
        del parts

    def _sketch(self, parts: list, weights: list, size: int, row_chunks, seed: int) -> None:
        import dask

        template = self.template
        if row_chunks is None:
            lengths = self.client.compute([dask.delayed(_partition_length)(p) for p in parts])
            row_chunks = self.client.gather(lengths)
        n_rows = int(sum(row_chunks))
        # One machine's subsample, drawn from the partitions in proportion to their rows.
        budget = SKETCH_ROWS if n_rows > SKETCH_ROWS else n_rows
        tasks = [
            dask.delayed(_sketch_partition)(
                p, w, template, size, int(np.ceil(budget * int(n) / max(n_rows, 1))), (seed, i)
            )
            for i, (p, w, n) in enumerate(zip(parts, weights, row_chunks))
        ]
        summaries = self.client.gather(self.client.compute(tasks))
        sizes = []
        for f, kind in enumerate(template.feature_types):
            if kind != "c":
                sizes.append(0)
                continue
            if summaries and summaries[0][f] is not None:
                # Categories of numeric codes: every partition's distinct values, in the
                # ascending order one machine gives them.
                codes = np.unique(np.concatenate([s[f] for s in summaries]))
                template.categories[f] = codes.tolist()
            sizes.append(len(template.categories[f]))
        summaries = [[None if kind == "c" else s[f] for f, kind in
                      enumerate(template.feature_types)] for s in summaries]  # fmt: skip
        template._bin_mapper = merged_mapper(summaries, sizes, template.max_bin)

    # -- what the training run reads ---------------------------------------------------------
    @property
    def bin_mapper(self) -> BinMapper:
        return self.template.bin_mapper

    @property
    def feature_names(self) -> list[str]:
        return list(self.template.feature_names)

    @property
    def feature_types(self) -> list[str]:
        return list(self.template.feature_types)

    @property
    def categories(self) -> list:
        return list(self.template.categories)

    @property
    def max_bin(self) -> int:
        return self.template.max_bin

    def num_row(self) -> int:
        return int(sum(self.part_rows))

    def num_col(self) -> int:
        return self.template.num_col()

    def __repr__(self) -> str:
        return (
            f"DaskDataset(rows={self.num_row()}, features={self.num_col()}, "
            f"partitions={self.n_partitions}, workers={len(self.blocks)})"
        )
