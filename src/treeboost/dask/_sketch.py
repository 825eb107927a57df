"""Bin thresholds from a quantile sketch merged across partitions.

Each partition summarises every numeric feature as at most ``size`` (value, mass) points: its
distinct values with their row mass when there are few enough, else the values at ``size``
equally spaced ranks, each carrying the mass of the values it stands for. The driver merges the
summaries (a weighted sort of all points) and cuts bins at the merged quantiles exactly as one
machine does on its rows (:func:`treeboost.data.binning._bounds_from_distinct`).

Like one machine (BinMapper's ``subsample``), tables of more than 200,000 rows are sketched
from a random sample of that many rows, drawn from each partition in proportion to its size
(each sampled row standing for its partition's rows per sampled row).

Error bound: a compressed partition misplaces any value's rank by less than ``1 / size`` of its
own mass, so the merged rank of every threshold is within ``n / size`` rows (``1 / size`` of the
total mass) of the rank one machine would use on all rows. Features whose partitions all have at
most ``size`` distinct values are summarised exactly and get the one-machine thresholds (on
tables of more than 200,000 rows both sample, so there the two differ by sampling error).
"""

from __future__ import annotations

import numpy as np

from ..data.binning import BinMapper, _bounds_from_distinct


def summarise_column(
    values: np.ndarray, weight: np.ndarray | None, size: int, scale: float = 1.0
) -> tuple:
    """(points, mass) of one feature in one partition: NaN and zero-weight rows left out; each
    row's mass is its weight (or 1) times ``scale`` (the partition's rows per sampled row)."""
    keep = ~np.isnan(values)
    if weight is not None:
        keep &= weight > 0
    if weight is None:
        # Sorting the values alone is several times faster than an argsort.
        values = np.sort(values[keep])
        mass = None
    else:
        order = np.argsort(values[keep], kind="stable")
        values = values[keep][order]
        mass = weight[keep][order]
    if values.size == 0:
        return np.zeros(0), np.zeros(0)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    distinct = values[starts].astype(np.float64)
    if mass is None:
        per_value = np.diff(np.append(starts, values.size)).astype(np.float64)
    else:
        per_value = np.add.reduceat(mass, starts)
    per_value = per_value * scale
    if distinct.size <= size:
        return distinct, per_value
    # Keep the value at each of ``size`` equally spaced ranks (and the largest); each kept
    # value carries the mass from the previous kept value up to itself.
    cumulative = np.cumsum(per_value)
    levels = cumulative[-1] * (np.arange(1, size + 1) / size)
    kept = np.unique(np.minimum(np.searchsorted(cumulative, levels), distinct.size - 1))
    kept_mass = np.diff(np.concatenate(([0.0], cumulative[kept])))
    return distinct[kept], kept_mass


def merge_bounds(summaries: list[tuple], max_bin: int) -> np.ndarray:
    """Upper bounds of one feature's value bins from its partitions' summaries."""
    points = np.concatenate([s[0] for s in summaries]) if summaries else np.zeros(0)
    if points.size == 0:
        return np.empty(0, dtype=np.float64)
    mass = np.concatenate([s[1] for s in summaries])
    distinct, inverse = np.unique(points, return_inverse=True)
    per_value = np.bincount(inverse.ravel(), weights=mass, minlength=distinct.size)
    return _bounds_from_distinct(distinct, np.cumsum(per_value), max_bin - 1)


def merged_mapper(
    partition_summaries: list[list], n_categories: list[int], max_bin: int
) -> BinMapper:
    """The BinMapper of all partitions: numeric features from the merged sketches, categorical
    ones one bin per category (as one machine does)."""
    bounds = []
    for f, size in enumerate(n_categories):
        if size:
            bounds.append(np.arange(max(size - 1, 0), dtype=np.float64) + 0.5)
        else:
            bounds.append(merge_bounds([p[f] for p in partition_summaries], max_bin))
    # Set directly rather than through from_dict: a categorical feature may have more
    # categories than max_bin, as in BinMapper.fit.
    mapper = BinMapper(max_bin=max_bin)
    mapper._set_bounds(bounds)
    return mapper
