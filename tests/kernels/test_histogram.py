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
