import numpy as np
import pytest

from treeboost.kernels.histogram import (
    build_histogram,
    build_histogram_naive,
    n_chunks_for,
    subtract_histogram,
)


def _problem(n_rows, n_features=5, n_bins=7, seed=0):
    rng = np.random.default_rng(seed)
    binned = rng.integers(0, n_bins, size=(n_rows, n_features)).astype(np.uint8)
    gh = rng.normal(size=(n_rows, 2)).astype(np.float32)
    gh[:, 1] = np.abs(gh[:, 1])
    offsets = np.arange(n_features + 1, dtype=np.int64) * n_bins
    return binned, gh, offsets


@pytest.mark.parametrize("n_rows", [1, 100, 5000, 300_017])
def test_build_histogram_matches_naive(n_rows):
    binned, gh, offsets = _problem(n_rows)
    rows = np.arange(n_rows, dtype=np.int32)[::-1].copy()  # any order of row indices
    features = np.array([0, 2, 4], dtype=np.int32)
    n_chunks = n_chunks_for(n_rows)
    scratch = np.empty((max(n_chunks, 1), offsets[-1], 2))
    hist = np.full((offsets[-1], 2), 123.0)
    build_histogram(binned, gh, rows, 0, n_rows, features, offsets, n_chunks, scratch, hist)
    expected = build_histogram_naive(binned, gh, rows, features, offsets, offsets[-1])
    for f in features:
        sl = slice(offsets[f], offsets[f + 1])
        np.testing.assert_allclose(hist[sl], expected[sl], rtol=1e-12, atol=1e-9)
    # A minority of the features selected: the others are left untouched.
    assert np.all(hist[offsets[1] : offsets[2]] == 123.0)


@pytest.mark.parametrize("n_rows", [100, 5000])
def test_most_features_selected_match_naive(n_rows):
    # With most features selected the builder adds every feature's bins (no indirection); the
    # selected features' sums must be exactly the ones a build over them alone gives.
    binned, gh, offsets = _problem(n_rows, n_features=8)
    rows = np.arange(n_rows, dtype=np.int32)[::-1].copy()
    features = np.array([0, 1, 2, 4, 5, 7], dtype=np.int32)
    n_chunks = n_chunks_for(n_rows)
    scratch = np.empty((max(n_chunks, 1), offsets[-1], 2))
    hist = np.full((offsets[-1], 2), 123.0)
    build_histogram(binned, gh, rows, 0, n_rows, features, offsets, n_chunks, scratch, hist)
    expected = build_histogram_naive(binned, gh, rows, features, offsets, offsets[-1])
    alone = np.zeros_like(hist)
    for f in features:
        sl = slice(offsets[f], offsets[f + 1])
        np.testing.assert_allclose(hist[sl], expected[sl], rtol=1e-12, atol=1e-9)
        one = np.array([f], dtype=np.int32)
        build_histogram(binned, gh, rows, 0, n_rows, one, offsets, n_chunks, scratch, alone)
        np.testing.assert_array_equal(hist[sl], alone[sl])


def test_build_histogram_segment_and_sums():
    binned, gh, offsets = _problem(1000)
    rows = np.arange(1000, dtype=np.int32)
    features = np.arange(5, dtype=np.int32)
    hist = np.empty((offsets[-1], 2))
    build_histogram(binned, gh, rows, 200, 700, features, offsets, 1, np.empty((1, 1, 2)), hist)
    # Every feature's bins add up to the segment's totals.
    totals = gh[200:700].astype(np.float64).sum(axis=0)
    for f in features:
        np.testing.assert_allclose(hist[offsets[f] : offsets[f + 1]].sum(axis=0), totals)


def test_chunked_sums_do_not_depend_on_threads():
    import numba

    binned, gh, offsets = _problem(70_000)
    rows = np.arange(binned.shape[0], dtype=np.int32)
    features = np.arange(5, dtype=np.int32)
    n_chunks = n_chunks_for(binned.shape[0])
    results = []
    previous = numba.get_num_threads()
    try:
        for threads in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(threads)
            hist = np.empty((offsets[-1], 2))
            build_histogram(
                binned,
                gh,
                rows,
                0,
                rows.size,
                features,
                offsets,
                n_chunks,
                np.empty((n_chunks, offsets[-1], 2)),
                hist,
            )
            results.append(hist)
    finally:
        numba.set_num_threads(previous)
    assert np.array_equal(results[0], results[1])


def test_subtraction_gives_sibling():
    binned, gh, offsets = _problem(500)
    rows = np.arange(500, dtype=np.int32)
    features = np.arange(5, dtype=np.int32)
    parent = build_histogram_naive(binned, gh, rows, features, offsets, offsets[-1])
    left = build_histogram_naive(binned, gh, rows[:200], features, offsets, offsets[-1])
    right = build_histogram_naive(binned, gh, rows[200:], features, offsets, offsets[-1])
    subtract_histogram(parent, left, features, offsets)
    np.testing.assert_allclose(parent, right, atol=1e-9)


def _dominated(n_rows, n_features=6, n_bins=9, seed=0, share=0.8):
    """Bins where each feature mostly holds one value bin (not the missing bin 0), and gradient
    pairs that are multiples of 1/64 (their float64 sums are exact in any order)."""
    rng = np.random.default_rng(seed)
    common = rng.integers(1, n_bins, n_features)
    other = rng.integers(0, n_bins, size=(n_rows, n_features))
    binned = np.where(rng.random((n_rows, n_features)) < share, common, other).astype(np.uint8)
    gh = (rng.integers(-128, 128, size=(n_rows, 2)) / 64.0).astype(np.float32)
    gh[:, 1] = np.abs(gh[:, 1])
    offsets = np.arange(n_features + 1, dtype=np.int64) * n_bins
    return binned, gh, offsets, common


@pytest.mark.parametrize("n_rows", [7, 900, 20_000])
def test_skipping_the_most_frequent_bins_gives_the_dense_histogram(n_rows):
    from treeboost.kernels.histogram import build_histogram_skipping, listed_entries

    binned, gh, offsets, common = _dominated(n_rows)
    listed = listed_entries(binned, offsets, np.ones(6, dtype=bool), 0.5)
    assert listed is not None
    row_ptr, entries, mode_bins = listed
    if n_rows > 100:
        np.testing.assert_array_equal(mode_bins, offsets[:-1] + common)
    assert entries.size == row_ptr[-1] < binned.size
    rng = np.random.default_rng(1)
    rows = np.sort(rng.choice(n_rows, max(1, n_rows // 2), replace=False)).astype(np.int32)
    n = rows.shape[0]
    n_chunks = n_chunks_for(n)
    scratch = np.empty((max(n_chunks, 1), offsets[-1], 2))
    features = np.array([0, 1, 3, 5], dtype=np.int32)
    sum_g, sum_h = gh[rows].astype(np.float64).sum(axis=0)
    dense = np.zeros((offsets[-1], 2))
    build_histogram(binned, gh, rows, 0, n, features, offsets, n_chunks, scratch, dense)
    skipped = np.full((offsets[-1], 2), 7.0)
    build_histogram_skipping(row_ptr, entries, gh, rows, 0, n, features, offsets, mode_bins,
                             sum_g, sum_h, n_chunks, scratch, skipped)  # fmt: skip
    for f in features:
        sl = slice(offsets[f], offsets[f + 1])
        np.testing.assert_array_equal(skipped[sl], dense[sl])


def test_listed_entries_only_where_they_pay_and_never_skip_missing():
    from treeboost.kernels.histogram import listed_entries

    binned, _, offsets, _ = _dominated(2000, share=0.2)
    assert listed_entries(binned, offsets, np.ones(6, dtype=bool), 0.5) is None
    # Missing values (bin 0) the most common value of a column: still listed, the most frequent
    # value bin is skipped instead.
    binned, _, offsets, _ = _dominated(2000, share=0.9)
    binned[:1500, 2] = 0
    row_ptr, entries, mode_bins = listed_entries(binned, offsets, np.ones(6, dtype=bool), 0.9)
    assert mode_bins[2] != offsets[2]
    assert np.count_nonzero(entries == offsets[2]) == np.count_nonzero(binned[:, 2] == 0) >= 1500
    # Features not skippable keep every bin listed.
    skippable = np.ones(6, dtype=bool)
    skippable[4] = False
    row_ptr, entries, mode_bins = listed_entries(binned, offsets, skippable, 0.9)
    assert mode_bins[4] == -1
    assert np.count_nonzero((entries >= offsets[4]) & (entries < offsets[5])) == 2000


def test_an_empty_most_frequent_bin_stays_exactly_empty():
    # Rounding in the node's totals must not leave a small remainder in a bin no row reaches
    # (category splits read any non-zero bin as a category present in the node).
    from treeboost.kernels.histogram import build_histogram_skipping

    offsets = np.array([0, 3], dtype=np.int64)  # one feature, rows in bins 1, 1, 2, 2
    gh = np.array([[0.1, 0.3], [0.2, 0.3], [0.7, 0.1], [0.1, 0.9]], dtype=np.float32)
    row_ptr = np.arange(5, dtype=np.int64)
    entries = np.array([1, 1, 2, 2], dtype=np.int32)
    mode_bins = np.array([1], dtype=np.int64)  # bin 1 unlisted: rows 2 and 3 never reach it
    rows = np.array([2, 3], dtype=np.int32)
    sum_g = float(np.float64(gh[2, 0]) + np.float64(gh[3, 0])) * (1 + 1e-15)
    sum_h = float(np.float64(gh[2, 1]) + np.float64(gh[3, 1])) * (1 - 1e-15)
    hist = np.zeros((3, 2))
    scratch = np.empty((1, 3, 2))
    build_histogram_skipping(row_ptr, entries[[0, 1, 2, 3]], gh, rows, 0, 2,
                             np.array([0], np.int32), offsets, mode_bins, sum_g, sum_h, 1,
                             scratch, hist)  # fmt: skip
    assert hist[1, 0] == 0.0 and hist[1, 1] == 0.0
    np.testing.assert_allclose(hist[2], gh[2:].astype(np.float64).sum(axis=0))
