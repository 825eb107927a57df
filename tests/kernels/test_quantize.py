import numpy as np
import pytest

from treeboost.kernels.histogram import build_histogram, build_histogram_naive
from treeboost.kernels.quantize import quantization_key, quantize_gradients


def _gradients(n, seed=0):
    rng = np.random.default_rng(seed)
    gh = np.empty((n, 2), dtype=np.float32)
    gh[:, 0] = rng.normal(size=n)
    gh[:, 1] = rng.uniform(0.01, 0.25, size=n)
    return gh


@pytest.mark.parametrize("levels", [2, 4, 16, 127])
def test_levels_are_bounded_and_scales_map_the_largest_values(levels):
    gh = _gradients(5_000)
    rows = np.arange(5_000, dtype=np.int32)
    out = np.zeros((5_000, 2), dtype=np.int8)
    scale_g, scale_h = quantize_gradients(gh, rows, levels, quantization_key(0, 0, 0, 0), out)
    assert scale_g == pytest.approx(np.abs(gh[:, 0]).max() / (levels // 2), rel=1e-6)
    assert scale_h == pytest.approx(gh[:, 1].max() / levels, rel=1e-6)
    assert np.abs(out[:, 0]).max() <= levels // 2 + 1
    assert out[:, 1].min() >= 0 and out[:, 1].max() <= levels + 1
    # Each level is the scaled value rounded down or up, never further.
    np.testing.assert_array_less(np.abs(out[:, 0] - gh[:, 0] / scale_g), 1.0 + 1e-6)
    np.testing.assert_array_less(np.abs(out[:, 1] - gh[:, 1] / scale_h), 1.0 + 1e-6)


def test_rounding_is_unbiased():
    # One value repeated: the mean of its stochastic roundings is the value itself.
    n = 200_000
    gh = np.empty((n, 2), dtype=np.float32)
    gh[:, 0] = 0.3
    gh[0, 0] = -1.0  # sets the gradient scale: 0.3 is 0.6 of a level at 4 levels
    gh[:, 1] = 0.1
    gh[0, 1] = 0.4  # hessian scale 0.4 / 4 levels: every other hessian is one level
    rows = np.arange(n, dtype=np.int32)
    out = np.zeros((n, 2), dtype=np.int8)
    scale_g, scale_h = quantize_gradients(gh, rows, 4, quantization_key(3, 1, 0, 0), out)
    assert scale_g == pytest.approx(0.5) and scale_h == pytest.approx(0.1)
    assert set(np.unique(out[1:, 0])) == {0, 1}
    assert out[1:, 0].mean() * scale_g == pytest.approx(0.3, abs=0.002)
    assert out[1:, 1].mean() * scale_h == pytest.approx(0.1, abs=1e-6)


def test_a_row_rounds_the_same_whatever_the_sample():
    gh = _gradients(3_000)
    key = quantization_key(5, 2, 0, 1)
    every = np.zeros((3_000, 2), dtype=np.int8)
    quantize_gradients(gh, np.arange(3_000, dtype=np.int32), 4, key, every)
    # Rows drawn alone get the same scale here (the extremes are among them) and so the
    # same levels: a row's draw depends on the key and the row only.
    top = [int(np.argmax(np.abs(gh[:, 0]))), int(np.argmax(gh[:, 1]))]
    rows = np.unique(np.r_[np.arange(0, 3_000, 7), top]).astype(np.int32)
    some = np.full((3_000, 2), 99, dtype=np.int8)
    quantize_gradients(gh, rows, 4, key, some)
    np.testing.assert_array_equal(some[rows], every[rows])
    left = np.setdiff1d(np.arange(3_000), rows)
    assert (some[left] == 99).all()  # rows outside the sample are not written
    other = np.zeros((3_000, 2), dtype=np.int8)
    quantize_gradients(gh, np.arange(3_000, dtype=np.int32), 4, quantization_key(5, 3, 0, 1),
                       other)  # fmt: skip
    assert (other != every).any()


def test_all_zero_gradients_quantize_to_zero():
    gh = np.zeros((100, 2), dtype=np.float32)
    out = np.ones((100, 2), dtype=np.int8)
    scales = quantize_gradients(gh, np.arange(100, dtype=np.int32), 4, np.uint64(1), out)
    assert scales == (1.0, 1.0)
    assert (out == 0).all()


@pytest.mark.parametrize("n_rows", [500, 40_000])  # one chunk, and chunks added in parallel
def test_integer_histograms_are_exact_sums(n_rows):
    rng = np.random.default_rng(1)
    n_features = 5
    binned = rng.integers(0, 17, size=(n_rows, n_features)).astype(np.uint8)
    bin_offsets = np.arange(n_features + 1, dtype=np.int64) * 17
    q = rng.integers(-3, 4, size=(n_rows, 2)).astype(np.int8)
    rows = np.sort(rng.choice(n_rows, n_rows // 2, replace=False)).astype(np.int32)
    features = np.arange(n_features, dtype=np.int32)
    chunks = np.zeros((16, 17 * n_features, 2), dtype=np.int32)
    hist = np.full((17 * n_features, 2), 7, dtype=np.int32)
    n_chunks = 1 if n_rows < 1_000 else 4
    build_histogram(binned, q, rows, 0, rows.shape[0], features, bin_offsets, n_chunks, chunks,
                    hist)  # fmt: skip
    expected = build_histogram_naive(binned, q, rows, features, bin_offsets, 17 * n_features)
    np.testing.assert_array_equal(hist, expected.astype(np.int64))


def test_non_finite_gradients_give_nan_scales():
    gh = _gradients(100)
    gh[17, 0] = np.nan
    out = np.ones((100, 2), dtype=np.int8)
    scale_g, scale_h = quantize_gradients(gh, np.arange(100, dtype=np.int32), 4, np.uint64(1),
                                          out)  # fmt: skip
    assert np.isnan(scale_g) and np.isnan(scale_h)
    assert (out == 0).all()
