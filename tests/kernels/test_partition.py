import numpy as np
import pytest

from treeboost.kernels.histogram import n_chunks_for
from treeboost.kernels.partition import add_leaf_values, direction_table, partition_rows_table


@pytest.mark.parametrize("n_rows", [1, 50, 70_000])
@pytest.mark.parametrize("default_left", [False, True])
def test_partition_is_stable_and_complete(n_rows, default_left):
    rng = np.random.default_rng(n_rows)
    binned = rng.integers(0, 6, size=(n_rows, 3)).astype(np.uint8)
    indices = np.sort(rng.choice(n_rows * 2, size=n_rows, replace=False) % n_rows).astype(np.int32)
    indices = np.unique(indices)
    start, end = 0, indices.size
    before = indices.copy()
    n_chunks = n_chunks_for(end - start)
    n_left = partition_rows_table(
        np.asfortranarray(binned)[:, 1],
        indices,
        start,
        end,
        direction_table(3, default_left, 6),
        n_chunks,
        np.empty(2 * end, dtype=np.int32),
        np.empty(64, dtype=np.int64),
    )
    b = binned[before, 1]
    goes_left = np.where(b == 0, default_left, b <= 3)
    np.testing.assert_array_equal(indices[:n_left], before[goes_left])
    np.testing.assert_array_equal(indices[n_left:], before[~goes_left])


def test_parallel_and_serial_partition_agree():
    rng = np.random.default_rng(3)
    binned = rng.integers(0, 6, size=(100_000, 2)).astype(np.uint8)
    results = []
    for n_chunks in (1, 7, 16):
        idx = np.arange(100_000, dtype=np.int32)
        n_left = partition_rows_table(
            binned[:, 0].copy(),
            idx,
            10,
            99_990,
            direction_table(2, True, 6),
            n_chunks,
            np.empty(200_000, dtype=np.int32),
            np.empty(64, dtype=np.int64),
        )
        results.append((n_left, idx))
    for n_left, idx in results[1:]:
        assert n_left == results[0][0]
        np.testing.assert_array_equal(idx, results[0][1])


def test_add_leaf_values():
    margin = np.zeros((6, 2))
    idx = np.array([5, 0, 3, 1, 2, 4], dtype=np.int32)
    add_leaf_values(margin, 1, idx, np.array([0, 2]), np.array([2, 6]), np.array([1.5, -2.0]))
    np.testing.assert_array_equal(margin[:, 0], 0.0)
    np.testing.assert_array_equal(margin[:, 1], [1.5, -2.0, -2.0, -2.0, -2.0, 1.5])

