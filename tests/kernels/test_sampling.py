import numpy as np
import pytest

from treeboost.kernels.sampling import (
    draw_features,
    draw_rows,
    stream_key,
    tree_stream_keys,
    uniform_at,
    uniforms,
)

NO_WEIGHTS = np.zeros(0, dtype=np.float64)


def test_draws_are_uniform_and_a_function_of_their_position():
    key, _ = tree_stream_keys(7, 3, 0)
    u = uniforms(key, 0, 200_000)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    counts, _ = np.histogram(u, bins=20, range=(0, 1))
    assert counts.min() > 9_500 and counts.max() < 10_500
    # Neighbouring draws are not correlated.
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01
    # A draw depends on its position only: any window of the stream reads the same values.
    np.testing.assert_array_equal(uniforms(key, 1234, 50), u[1234:1284])
    assert uniform_at(key, 99) == u[99]


def test_streams_differ_by_seed_round_and_tree():
    keys = {int(stream_key(seed, epoch, stream)) for seed in range(4) for epoch in range(50)
            for stream in range(4)}  # fmt: skip
    assert len(keys) == 4 * 50 * 4
    a = uniforms(tree_stream_keys(0, 0, 0)[0], 0, 1000)
    b = uniforms(tree_stream_keys(0, 1, 0)[0], 0, 1000)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.1


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.5, 0.8, 1.0])
def test_draw_rows_splits_rows_by_their_draws(fraction):
    key, _ = tree_stream_keys(1, 2, 0)
    n = 5000
    rows, left_out = draw_rows(key, n, fraction)
    assert rows.dtype == np.int32 and left_out.dtype == np.int64
    u = uniforms(key, 0, n)
    if (u < fraction).any():
        np.testing.assert_array_equal(rows, np.flatnonzero(u < fraction))
    else:  # never an empty sample: the row chosen by the draw after the last row
        assert rows.tolist() == [int(uniform_at(key, n) * n)]
    np.testing.assert_array_equal(np.sort(np.concatenate([rows, left_out])), np.arange(n))


def test_draw_features_takes_the_requested_share_without_replacement():
    features = np.array([2, 3, 5, 8, 13, 21, 34], dtype=np.int32)
    counts = dict.fromkeys(features.tolist(), 0)
    for epoch in range(3000):
        chosen = draw_features(tree_stream_keys(0, epoch, 0)[1], features, 0.5, NO_WEIGHTS)
        assert chosen.dtype == np.int32 and chosen.shape == (3,)
        assert np.all(np.diff(chosen) > 0) and set(chosen.tolist()) <= set(counts)
        for f in chosen.tolist():
            counts[f] += 1
    # Each feature is picked with chance 3/7: 1,286 of 3,000 expected (sd ~27).
    assert all(1_150 < c < 1_420 for c in counts.values()), counts
    np.testing.assert_array_equal(draw_features(np.uint64(1), features, 1.0, NO_WEIGHTS), features)
    assert draw_features(np.uint64(1), features, 0.01, NO_WEIGHTS).shape == (1,)


def test_feature_weights_set_the_chances():
    features = np.arange(6, dtype=np.int32)
    weights = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 5.0])
    counts = np.zeros(6)
    for epoch in range(3000):
        chosen = draw_features(tree_stream_keys(0, epoch, 0)[1], features, 0.2, weights)
        assert chosen.shape == (1,)
        counts[chosen] += 1
    assert counts[0] == 0  # weight 0: never drawn
    np.testing.assert_allclose(counts[1:] / 3000, [1 / 9] * 4 + [5 / 9], atol=0.03)
    # Fewer features than asked for when too few have weight.
    sparse = np.array([0.0, 0.0, 2.0, 0.0, 0.0, 0.0])
    assert draw_features(np.uint64(5), features, 0.9, sparse).tolist() == [2]
