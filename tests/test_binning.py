"""Tests of BinMapper (data/binning.py) and the binning kernel (kernels/binning.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from treeboost.data import BinMapper
from treeboost.kernels.binning import build_search_index, map_to_bins, map_to_bins_naive


def _mixed_matrix(n_rows: int, dtype, seed: int = 0) -> np.ndarray:
    """Columns that stress different paths: smooth, heavy-tailed, discrete, constant, NaN-rich."""
    rng = np.random.default_rng(seed)
    columns = [
        rng.standard_normal(n_rows),
        rng.lognormal(0.0, 3.0, n_rows),  # bounds spread over many orders of magnitude
        rng.standard_cauchy(n_rows),
        rng.integers(-3, 4, n_rows).astype(np.float64),  # 7 distinct values: exact bins
        np.full(n_rows, 2.5),
        np.where(rng.random(n_rows) < 0.5, 0.0, -0.0),  # one distinct value, two signs of zero
        1e-300 * rng.standard_normal(n_rows),  # tiny magnitudes
        rng.uniform(-1e30, 1e30, n_rows),
    ]
    X = np.column_stack(columns).astype(dtype)
    X[rng.random(X.shape) < 0.1] = np.nan
    X[:, 4][rng.random(n_rows) < 0.5] = np.nan
    return X


def _check_bin_rule(X: np.ndarray, binned: np.ndarray, mapper: BinMapper) -> None:
    """architecture.md: bin 0 <=> NaN; bin t >= 1 <=> ub[t-2] < v <= ub[t-1] (open at the ends)."""
    for feature, bounds in enumerate(mapper.bin_upper_bounds_):
        values = X[:, feature].astype(np.float64)
        bins = binned[:, feature].astype(np.int64)
        missing = np.isnan(values)
        assert np.array_equal(bins == 0, missing)
        values, bins = values[~missing], bins[~missing]
        assert bins.max(initial=1) <= bounds.size + 1
        padded = np.concatenate(([-np.inf], bounds, [np.inf]))
        lower, upper = padded[bins - 1], padded[bins]
        # bin 1 also takes -inf, the last bin +inf
        assert np.all((values > lower) | (bins == 1))
        assert np.all(values <= upper)


# -- kernel against its naive twin --------------------------------------------------------------


@pytest.mark.parametrize("max_bin", [256, 1000])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_matches_naive_twin(dtype, order, max_bin):
    X = np.asarray(_mixed_matrix(5000, dtype), order=order)
    mapper = BinMapper(max_bin=max_bin).fit(X)
    binned = mapper.transform(X)
    assert binned.dtype == (np.uint8 if max_bin <= 256 else np.uint16)
    assert binned.flags.c_contiguous and binned.shape == X.shape
    assert np.array_equal(binned, map_to_bins_naive(X, mapper.bin_upper_bounds_))
    _check_bin_rule(X, binned, mapper)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_on_bounds_and_their_neighbours(dtype):
    """Values exactly on a bound, and one ulp either side, land where searchsorted says."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3000, 2)).astype(dtype)
    mapper = BinMapper(max_bin=64).fit(X)
    probes = []
    for bounds in mapper.bin_upper_bounds_:
        # float32 inputs cannot hold a float64 bound exactly: probe the nearest float32s instead
        at = bounds.astype(dtype)
        probes.append(
            np.concatenate([at, np.nextafter(at, dtype(-np.inf)), np.nextafter(at, dtype(np.inf))])
        )
    n = min(p.size for p in probes)
    probe = np.column_stack([p[:n] for p in probes]).astype(dtype)
    expected = map_to_bins_naive(probe, mapper.bin_upper_bounds_)
    assert np.array_equal(mapper.transform(probe), expected)
    _check_bin_rule(probe, mapper.transform(probe), mapper)


def test_kernel_with_hand_made_bounds():
    """Bounds the fitted mapper would rarely produce: clusters, huge spans, -inf, one or none."""
    bin_upper_bounds = [
        np.array([1.0, 1.0 + 1e-12, 1.0 + 2e-12, 1.0 + 3e-12, 1e6]),  # a cluster and an outlier
        np.array([-1e308, -1.0, 0.0, 1.0, 1e308]),  # the span overflows float64
        np.array([-np.inf, 0.0]),  # -inf bound: span is infinite
        np.array([0.5]),
        np.array([], dtype=np.float64),
        np.array([-0.0, 1.0]),  # a negative-zero bound
        np.linspace(-1.0, 1.0, 5000),  # more bounds than the bucket table has entries
    ]
    rng = np.random.default_rng(2)
    special = np.array(
        [
            np.nan,
            np.inf,
            -np.inf,
            0.0,
            -0.0,
            1.0,
            1e-320,
            -1e-320,
            1e308,
            -1e308,
            1.0 + 1e-12,
            1.0 + 1.5e-12,
            5e-324,
        ]
    )
    n_rows = 20_000
    X = np.empty((n_rows, len(bin_upper_bounds)))
    for feature, bounds in enumerate(bin_upper_bounds):
        pool = np.concatenate(
            [
                special,
                bounds,
                np.nextafter(bounds, np.inf),
                np.nextafter(bounds, -np.inf),
                rng.uniform(-2, 2, 100),
            ]
        )
        X[:, feature] = rng.choice(pool, n_rows)
    expected = map_to_bins_naive(X, bin_upper_bounds)
    for values, is_transposed in [(X, False), (np.ascontiguousarray(X.T), True)]:
        binned = np.empty(X.shape, dtype=np.uint16)
        map_to_bins(values, is_transposed, build_search_index(bin_upper_bounds), 1000, binned)
        assert np.array_equal(binned, expected)


def test_transform_accepts_non_contiguous_and_integer_input():
    X = _mixed_matrix(2000, np.float64)
    mapper = BinMapper().fit(X)
    strided = np.repeat(X, 2, axis=0)[::2]  # neither C nor F contiguous
    assert not (strided.flags.c_contiguous or strided.flags.f_contiguous)
    assert np.array_equal(mapper.transform(strided), mapper.transform(X))
    integers = np.arange(12).reshape(6, 2)
    m2 = BinMapper().fit(integers)
    assert np.array_equal(m2.transform(integers), np.arange(1, 7).repeat(2).reshape(6, 2))


def test_float32_and_float64_of_the_same_values_bin_alike():
    X32 = _mixed_matrix(3000, np.float32)
    mapper = BinMapper().fit(X32)
    assert np.array_equal(mapper.transform(X32), mapper.transform(X32.astype(np.float64)))


# -- fitting ------------------------------------------------------------------------------------


def test_few_distinct_values_get_one_bin_each():
    distinct = np.array([-3.0, 0.0, 0.5, 7.0, 1e6])
    rng = np.random.default_rng(3)
    column = rng.choice(distinct, 1000)
    column[::10] = np.nan
    X = column[:, None]
    mapper = BinMapper(max_bin=6).fit(X)  # 5 value bins: exactly enough
    bounds = mapper.bin_upper_bounds_[0]
    assert mapper.n_bins_[0] == 1 + distinct.size
    assert np.all(distinct[:-1] <= bounds) and np.all(bounds < distinct[1:])
    assert np.array_equal(bounds, (distinct[:-1] + distinct[1:]) / 2)
    assert np.array_equal(mapper.transform(distinct[:, None])[:, 0], np.arange(1, 6))


def test_midpoint_of_adjacent_floats_falls_back_to_the_lower_value():
    a = 1.0
    b = np.nextafter(a, 2.0)  # no float64 lies strictly between a and b
    X = np.array([[a], [b], [a], [np.nan]])
    mapper = BinMapper().fit(X)
    assert mapper.bin_upper_bounds_[0].tolist() == [a]
    assert mapper.transform(X)[:, 0].tolist() == [1, 2, 1, 0]


def test_negative_zero_is_the_same_value_as_zero():
    X = np.array([[0.0], [-0.0], [1.0]])
    mapper = BinMapper().fit(X)
    assert mapper.n_bins_[0] == 3
    assert mapper.transform(X)[:, 0].tolist() == [1, 1, 2]


def test_quantile_bins_are_roughly_equal_frequency():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((64_000, 1))
    mapper = BinMapper(max_bin=33).fit(X)
    counts = np.bincount(mapper.transform(X)[:, 0], minlength=33)
    assert counts[0] == 0 and mapper.n_bins_[0] == 33
    expected = X.shape[0] / 32
    assert np.all(np.abs(counts[1:] - expected) < 0.05 * expected)


def test_weights_give_a_heavy_region_more_bins():
    rng = np.random.default_rng(5)
    X = rng.uniform(0.0, 1.0, (50_000, 1))
    weight = np.where(X[:, 0] < 0.2, 50.0, 1.0)
    unweighted = BinMapper(max_bin=65).fit(X).bin_upper_bounds_[0]
    weighted = BinMapper(max_bin=65).fit(X, sample_weight=weight).bin_upper_bounds_[0]
    # the region holds 20% of the rows but 50 / (50 + 4) ~ 93% of the weight
    assert 0.15 < np.mean(unweighted < 0.2) < 0.25
    assert np.mean(weighted < 0.2) > 0.85
    # and each weighted bin holds about the same weight
    bins = BinMapper(max_bin=65).fit(X, weight).transform(X)[:, 0]
    mass = np.bincount(bins, weights=weight)[1:]
    assert np.all(np.abs(mass - weight.sum() / 64) < 0.1 * weight.sum() / 64)


def test_zero_weight_equals_removing_the_row_and_integer_weight_equals_repeating_it():
    rng = np.random.default_rng(8)
    X = np.column_stack([rng.standard_normal(3000), rng.integers(0, 9, 3000)]).astype(np.float64)
    weight = rng.integers(0, 4, 3000)
    weighted = BinMapper(max_bin=32).fit(X, sample_weight=weight)
    repeated = BinMapper(max_bin=32).fit(np.repeat(X, weight, axis=0))
    for a, b in zip(weighted.bin_upper_bounds_, repeated.bin_upper_bounds_, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("max_bin", [2, 3, 16, 256, 300])
def test_bin_counts_never_exceed_max_bin(max_bin):
    rng = np.random.default_rng(6)
    n_rows = 3000
    X = np.column_stack(
        [
            rng.standard_normal(n_rows),
            rng.integers(0, max_bin - 1, n_rows),  # at most max_bin - 1 distinct: exact path
            rng.integers(0, max_bin, n_rows),  # up to max_bin distinct: quantile path
            rng.exponential(size=n_rows).round(2),  # many ties
        ]
    ).astype(np.float64)
    mapper = BinMapper(max_bin=max_bin).fit(X)
    assert np.all(mapper.n_bins_ <= max_bin)
    binned = mapper.transform(X)
    assert binned.max() < max_bin
    _check_bin_rule(X, binned, mapper)
    if max_bin == 2:
        assert np.all(binned == 1)


def test_missing_values_go_to_bin_zero_and_all_nan_column_has_one_value_bin():
    X = np.array([[np.nan, 1.0], [np.nan, np.nan], [np.nan, 2.0]])
    mapper = BinMapper().fit(X)
    assert mapper.bin_upper_bounds_[0].size == 0
    assert mapper.n_bins_.tolist() == [2, 3]
    assert mapper.transform(X).tolist() == [[0, 1], [0, 0], [0, 2]]
    # a value seen later in a column that was all NaN in training goes to the one value bin
    # (and 1.5, the midpoint bound of the second column, belongs to the lower bin)
    assert mapper.transform(np.array([[5.0, 1.5], [-5.0, 1.6]])).tolist() == [[1, 1], [1, 2]]


def test_fitted_attributes():
    X = _mixed_matrix(1000, np.float64)
    mapper = BinMapper().fit(X)
    assert mapper.n_features_ == X.shape[1]
    assert mapper.n_bins_.dtype == np.int32 and mapper.bin_offsets_.dtype == np.int64
    assert mapper.bin_offsets_[0] == 0
    assert np.array_equal(np.diff(mapper.bin_offsets_), mapper.n_bins_)
    assert all(b.dtype == np.float64 and np.all(np.diff(b) > 0) for b in mapper.bin_upper_bounds_)
    assert [b.size for b in mapper.bin_upper_bounds_] == (mapper.n_bins_ - 2).tolist()
    assert mapper.dtype_ is np.uint8
    assert BinMapper(max_bin=257).fit(X).dtype_ is np.uint16


def test_fit_is_deterministic_and_uses_a_seeded_subsample():
    X = _mixed_matrix(20_000, np.float32, seed=7)
    first = BinMapper(max_bin=64, subsample=5000, random_state=3).fit(X)
    second = BinMapper(max_bin=64, subsample=5000, random_state=3).fit(X)
    full = BinMapper(max_bin=64).fit(X)
    for a, b in zip(first.bin_upper_bounds_, second.bin_upper_bounds_, strict=True):
        assert np.array_equal(a, b)
    # the subsample changes the quantiles of the smooth column (the full fit saw other rows)
    assert not np.array_equal(first.bin_upper_bounds_[0], full.bin_upper_bounds_[0])
    # the subsample is what the bounds come from
    rows = np.sort(np.random.default_rng(3).choice(X.shape[0], 5000, replace=False))
    from_rows = BinMapper(max_bin=64).fit(X[rows])
    for a, b in zip(first.bin_upper_bounds_, from_rows.bin_upper_bounds_, strict=True):
        assert np.array_equal(a, b)


def test_to_dict_from_dict_round_trip_through_json():
    X = _mixed_matrix(2000, np.float32)
    mapper = BinMapper(max_bin=100, random_state=5).fit(X)
    restored = BinMapper.from_dict(json.loads(json.dumps(mapper.to_dict())))
    assert restored.max_bin == 100 and restored.random_state == 5
    for a, b in zip(mapper.bin_upper_bounds_, restored.bin_upper_bounds_, strict=True):
        assert np.array_equal(a, b)
    assert np.array_equal(restored.n_bins_, mapper.n_bins_)
    assert np.array_equal(restored.bin_offsets_, mapper.bin_offsets_)
    assert np.array_equal(restored.transform(X), mapper.transform(X))


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_bin", [1, 0, 65537, 2.5, True, "256"])
def test_invalid_max_bin(max_bin):
    with pytest.raises(ValueError, match=r"max_bin must be an integer in \[2, 65536\]"):
        BinMapper(max_bin=max_bin)


def test_invalid_subsample_and_random_state():
    with pytest.raises(ValueError, match="subsample must be an integer >= 1"):
        BinMapper(subsample=0)
    with pytest.raises(ValueError, match="random_state must be an integer >= 0"):
        BinMapper(random_state=-1)


def test_transform_errors():
    mapper = BinMapper()
    with pytest.raises(RuntimeError, match="not fitted"):
        mapper.transform(np.zeros((2, 2)))
    mapper.fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="X has 2 columns but this BinMapper was fitted on 3"):
        mapper.transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"X must be 2-D.*reshape\(-1, 1\)"):
        mapper.transform(np.zeros(3))


def test_fit_errors():
    with pytest.raises(ValueError, match="X must be 2-D"):
        BinMapper().fit(np.zeros(5))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(5,\)"):
        BinMapper().fit(np.zeros((5, 1)), sample_weight=np.ones(4))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"max_bin": 256}, "lacks the field"),
        ({"max_bin": 256, "bin_upper_bounds": [[1.0, 0.5]]}, "strictly increasing"),
        ({"max_bin": 256, "bin_upper_bounds": [[float("nan")]]}, "strictly increasing"),
        ({"max_bin": 4, "bin_upper_bounds": [[1.0, 2.0, 3.0]]}, "at most max_bin - 2 = 2"),
        ({"max_bin": 256, "bin_upper_bounds": [["a"]]}, "must be a list of numbers"),
        ({"max_bin": 1, "bin_upper_bounds": []}, "max_bin"),
        ([], "must be a dict"),
    ],
)
def test_from_dict_rejects_malformed_state(state, message):
    with pytest.raises(ValueError, match=message):
        BinMapper.from_dict(state)
