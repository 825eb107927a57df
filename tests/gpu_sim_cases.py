"""The CUDA path on numba's CUDA simulator: run by tests/test_gpu.py in a subprocess with
NUMBA_ENABLE_CUDASIM=1 (the variable must be set before numba.cuda is first imported, and setting
it in the main test process would change every other test). Not named test_*: the default run
does not collect it directly. Data stay tiny: the simulator runs every device thread in Python.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":  # pragma: no cover - guards a direct run
    pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 (run through tests/test_gpu.py)",
                allow_module_level=True)  # fmt: skip

import treeboost as tb
from treeboost.kernels.histogram import build_histogram, n_chunks_for
from treeboost.kernels.split import find_best_split
from treeboost.tree import gpu
from treeboost.tree.grower import TreeGrower
from treeboost.tree.matrix import binned_matrix
from treeboost.tree.split import GrowthParams, SplitParams

# Leaf values and margins: the device sums histograms in another order (float64 atomics) than
# the CPU, so values agree to float64 rounding of those sums; the documented bound (docs/gpu.md).
RTOL, ATOL = 1e-6, 1e-9


def _data(n=200, m=4, seed=0, missing=0.1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    X[rng.random((n, m)) < missing] = np.nan
    # Well separated gains: the label leans on features 0 and 1 with clearly different weights.
    signal = 2.0 * np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) ** 2
    return X, signal, rng


def _same_trees(a: tb.Booster, b: tb.Booster) -> None:
    assert len(a.trees) == len(b.trees)
    for i, (ta, tc) in enumerate(zip(a.trees, b.trees)):
        for name in ("left", "right", "feature", "split_bin", "default_left", "sample_count"):
            np.testing.assert_array_equal(getattr(ta, name), getattr(tc, name), err_msg=f"{i}")
        np.testing.assert_allclose(ta.value, tc.value, rtol=RTOL, atol=ATOL, err_msg=f"{i}")
        np.testing.assert_allclose(ta.cover, tc.cover, rtol=RTOL, atol=ATOL)


def _both(params, dtrain, rounds=3, **kwargs):
    cpu = tb.train(dict(params, device="cpu"), dtrain, num_boost_round=rounds, **kwargs)
    dev = tb.train(dict(params, device="cuda"), dtrain, num_boost_round=rounds, **kwargs)
    return cpu, dev


def test_histogram_matches_cpu(monkeypatch):
    X, y, rng = _data()
    d = tb.Dataset(X, label=y, max_bin=16)
    binned, offsets = d.binned, d.bin_mapper.bin_offsets_
    gh = rng.normal(size=(200, 2)).astype(np.float32)
    rows = np.ascontiguousarray(rng.permutation(200).astype(np.int32))
    features = np.array([0, 2, 3], dtype=np.int32)
    total = int(offsets[-1])
    chunks = np.empty((n_chunks_for(150), total, 2))
    expected = np.zeros((total, 2))
    build_histogram(binned, gh, rows, 20, 170, features, offsets, 1, chunks, expected)
    # A tiny shared-memory width splits the features into several groups: each group's bins
    # still land where the CPU puts them; a feature wider than it takes the global-atomic path.
    for width in (gpu.gpu.SHARED_BINS, 24, 4):
        monkeypatch.setattr(gpu.gpu, "SHARED_BINS", width)
        matrix = gpu.cuda_binned_matrix(binned, offsets)
        builder = matrix.histograms()
        hist, active = builder.build(
            gpu.cuda.to_device(gh), gpu.cuda.to_device(rows), 20, 170, features
        )
        got = hist.array.copy_to_host()
        for f in features:
            lo, hi = offsets[f], offsets[f + 1]
            np.testing.assert_allclose(got[lo:hi], expected[lo:hi], rtol=1e-12, atol=1e-12)
        assert active is features
        # Subtraction: the parent minus a child is the other child.
        child, _ = builder.build(gpu.cuda.to_device(gh), gpu.cuda.to_device(rows), 20, 90,
                                 features)  # fmt: skip
        sibling = builder.subtract_into_parent(hist, child, features).array.copy_to_host()
        other = np.zeros((total, 2))
        build_histogram(binned, gh, rows, 90, 170, features, offsets, 1, chunks, other)
        for f in features:
            lo, hi = offsets[f], offsets[f + 1]
            np.testing.assert_allclose(sibling[lo:hi], other[lo:hi], rtol=1e-9, atol=1e-9)


def test_split_scan_matches_cpu():
    X, y, rng = _data(missing=0.2)
    d = tb.Dataset(X, label=y, max_bin=16)
    binned, offsets = d.binned, d.bin_mapper.bin_offsets_
    gh = np.stack([rng.normal(size=200), rng.uniform(0.5, 1.5, size=200)], 1).astype(np.float32)
    rows = np.arange(200, dtype=np.int32)
    features = np.arange(4, dtype=np.int32)
    hist = np.zeros((int(offsets[-1]), 2))
    chunks = np.empty((n_chunks_for(200), int(offsets[-1]), 2))
    build_histogram(binned, gh, rows, 0, 200, features, offsets, 1, chunks, hist)
    sums = hist[offsets[0] : offsets[1]].sum(axis=0)
    for params in (SplitParams(), SplitParams(reg_alpha=0.5, max_delta_step=0.7),
                   SplitParams(min_child_weight=40.0)):  # fmt: skip
        cpu = find_best_split(
            hist,
            features,
            offsets,
            sums[0],
            sums[1],
            params.reg_lambda,
            params.reg_alpha,
            params.max_delta_step,
            params.min_child_weight,
        )
        matrix = gpu.cuda_binned_matrix(binned, offsets)
        grower = gpu.CudaTreeGrower(matrix, d.bin_mapper.bin_upper_bounds_, params,
                                    GrowthParams())  # fmt: skip
        node = type("Node", (), {})()
        node.hist = gpu.DeviceHistogram(gpu.cuda.to_device(hist))
        node.sum_g, node.sum_h = float(sums[0]), float(sums[1])
        grower._evaluate_numeric(node, features)
        assert (node.feature, node.split_bin, node.default_left) == (cpu[1], cpu[2], cpu[3])
        np.testing.assert_allclose([node.gain, node.left_g, node.left_h],
                                   [cpu[0], cpu[4], cpu[5]], rtol=1e-12)  # fmt: skip


def test_grower_matches_cpu_python_path():
    """The device grower against the CPU's node-by-node path on the same bins and pairs,
    depthwise and lossguide, with and without margins to update."""
    X, y, rng = _data(n=160)
    d = tb.Dataset(X, label=y, max_bin=16)
    offsets, bounds = d.bin_mapper.bin_offsets_, d.bin_mapper.bin_upper_bounds_
    gh = np.stack([rng.normal(size=160), np.ones(160)], 1).astype(np.float32)
    features = np.arange(4, dtype=np.int32)
    for growth in (
        GrowthParams(max_depth=3),
        GrowthParams(grow_policy="lossguide", max_depth=0, max_leaves=6),
    ):
        cpu = TreeGrower(binned_matrix(d.binned, offsets), bounds, SplitParams(), growth)
        cpu.use_python = True
        dev = gpu.CudaTreeGrower(gpu.cuda_binned_matrix(d.binned, offsets), bounds,
                                 SplitParams(), growth)  # fmt: skip
        for with_margin in (False, True):
            m_cpu, m_dev = np.zeros((160, 1)), np.zeros((160, 1))
            idx_cpu = np.arange(160, dtype=np.int32)
            idx_dev = idx_cpu.copy()
            a = cpu.grow(gh, idx_cpu, features, np.random.default_rng(1),
                         margin=m_cpu if with_margin else None)  # fmt: skip
            b = dev.grow(gh, idx_dev, features, np.random.default_rng(1),
                         margin=m_dev if with_margin else None)  # fmt: skip
            np.testing.assert_array_equal(a.tree.feature, b.tree.feature)
            np.testing.assert_array_equal(a.tree.split_bin, b.tree.split_bin)
            np.testing.assert_allclose(a.tree.value, b.tree.value, rtol=RTOL, atol=ATOL)
            np.testing.assert_allclose(m_cpu, m_dev, rtol=RTOL, atol=ATOL)
            np.testing.assert_array_equal(a.leaf_nodes, b.leaf_nodes)
            # The same rows in every leaf segment (their order inside a segment may differ).
            for s, e in zip(b.leaf_starts, b.leaf_ends):
                assert sorted(idx_cpu[s:e]) == sorted(idx_dev[s:e])


@pytest.mark.parametrize(
    "objective",
    ["reg:squarederror", "binary:logistic", "multi:softprob", "reg:absoluteerror"],
)
def test_training_matches_cpu(objective):
    X, signal, rng = _data()
    params = {"objective": objective, "max_depth": 3, "learning_rate": 0.5}
    if objective == "binary:logistic":
        y = (signal > np.median(signal)).astype(float)
    elif objective == "multi:softprob":
        y = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3])).astype(float)
        params["num_class"] = 3
    else:  # reg:absoluteerror: gradients on the host, leaves re-fitted after growth
        y = signal + 0.1 * rng.normal(size=signal.size)
    d = tb.Dataset(X, label=y, max_bin=16)
    cpu, dev = _both(params, d, rounds=2 if objective == "multi:softprob" else 3)
    _same_trees(cpu, dev)
    np.testing.assert_allclose(cpu.predict(X), dev.predict(X), rtol=RTOL, atol=ATOL)
    # Prediction on the device walks the same trees to the same leaves.
    np.testing.assert_allclose(
        dev.predict(X, output_margin=True),
        dev.predict(X, output_margin=True, device="cuda"),
        rtol=1e-12,
        atol=1e-12,
    )


def test_training_options_match_cpu():
    """Weights, row subsampling (the left-out rows walk the tree on the host), column sampling
    by tree and node, lossguide growth, an evaluation set and DART."""
    X, signal, rng = _data(seed=3)
    w = rng.uniform(0.5, 2.0, size=signal.size)
    d = tb.Dataset(X, label=signal, weight=w, max_bin=16)
    dv = tb.Dataset(X[:50], label=signal[:50], reference=d)
    params = {"max_depth": 0, "max_leaves": 5, "grow_policy": "lossguide", "subsample": 0.7,
              "colsample_bynode": 0.75, "random_state": 4}  # fmt: skip
    log_cpu, log_dev = {}, {}
    cpu = tb.train(params, d, 3, evals=[(dv, "v")], evals_result=log_cpu)
    dev = tb.train(dict(params, device="cuda"), d, 3, evals=[(dv, "v")], evals_result=log_dev)
    _same_trees(cpu, dev)
    np.testing.assert_allclose(log_cpu["v"]["rmse"], log_dev["v"]["rmse"], rtol=RTOL)
    cpu, dev = _both({"booster": "dart", "rate_drop": 0.5, "max_depth": 2, "random_state": 1}, d)
    _same_trees(cpu, dev)


def test_model_from_device_predicts_on_cpu(tmp_path):
    X, signal, _ = _data()
    d = tb.Dataset(X, label=signal, max_bin=16)
    dev = tb.train({"device": "gpu", "max_depth": 2}, d, 2)
    # The device is a property of the run, not of the model: the file says nothing of it.
    assert "device" not in dev.params
    path = tmp_path / "m.json"
    dev.save_model(path)
    assert '"device"' not in path.read_text()
    loaded = tb.Booster.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), dev.predict(X))


def test_unsupported_inputs_fail_in_one_line():
    X, signal, _ = _data()
    import pandas as pd

    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["e"] = pd.Categorical(np.random.default_rng(0).choice(["x", "y", "z"], size=200))
    d = tb.Dataset(frame, label=signal)
    with pytest.raises(ValueError, match=r"device='cuda' supports numeric features only"):
        tb.train({"device": "cuda"}, d, 1)
    d = tb.Dataset(X, label=signal)
    with pytest.raises(ValueError, match=r"device='cuda' does not support monotone"):
        tb.train({"device": "cuda", "monotone_constraints": [1, 0, 0, 0]}, d, 1)


@pytest.mark.parametrize("objective", ["reg:squarederror", "multi:softprob"])
def test_treeshap_on_device_matches_cpu(objective):
    X, signal, _ = _data(n=60)
    params = {"objective": objective, "max_depth": 3}
    if objective == "multi:softprob":
        signal = np.digitize(signal, np.quantile(signal, [0.5])).astype(float)
        params["num_class"] = 2
    booster = tb.train(params, tb.Dataset(X, label=signal, max_bin=16), 2)
    cpu = booster.predict(X, pred_contribs=True)
    dev = booster.predict(X, pred_contribs=True, device="cuda")
    np.testing.assert_allclose(dev, cpu, rtol=1e-9, atol=1e-12)
    margin = booster.predict(X, output_margin=True)
    np.testing.assert_allclose(dev.sum(axis=-1), margin, rtol=1e-9, atol=1e-9)


def test_estimator_device_parameter():
    X, signal, _ = _data(n=120)
    cpu = tb.TreeBoostRegressor(n_estimators=2, max_depth=2, random_state=0).fit(X, signal)
    dev = tb.TreeBoostRegressor(n_estimators=2, max_depth=2, random_state=0, device="cuda")
    dev.fit(X, signal)
    assert dev.get_params()["device"] == "cuda"
    _same_trees(cpu.get_booster(), dev.get_booster())
