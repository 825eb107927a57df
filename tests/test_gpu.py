"""device="cuda": parameter checks here, the CUDA kernels and the device grower on numba's CUDA
simulator in a subprocess (tests/gpu_sim_cases.py; NUMBA_ENABLE_CUDASIM must be set before
numba.cuda is first imported, so it cannot be switched on inside this test process)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import treeboost as tb
from treeboost.model.params import validate_params

HERE = Path(__file__).resolve().parent


def test_device_parameter_values():
    assert validate_params({})["device"] == "cpu"
    assert validate_params({"device": "cuda"})["device"] == "cuda"
    # XGBoost's alias.
    assert validate_params({"device": "gpu"})["device"] == "cuda"
    for bad in ("tpu", "CUDA", 0, None):
        with pytest.raises(ValueError, match=r"parameter device=.* is not valid; valid: 'cpu', "
                                             r"'cuda', 'gpu'"):  # fmt: skip
            validate_params({"device": bad})


def test_predict_device_value_checked():
    X = np.random.default_rng(0).normal(size=(30, 2))
    booster = tb.train({"max_depth": 2}, tb.Dataset(X, label=X[:, 0]), 2)
    with pytest.raises(ValueError, match=r"device='tpu' is not valid"):
        booster.predict(X, device="tpu")
    np.testing.assert_array_equal(booster.predict(X, device="cpu"), booster.predict(X))


def test_cuda_without_gpu_fails_in_one_line():
    from numba import cuda

    if cuda.is_available():  # pragma: no cover - on a machine with a GPU
        pytest.skip("a CUDA GPU is present")
    X = np.random.default_rng(0).normal(size=(30, 2))
    d = tb.Dataset(X, label=X[:, 0])
    with pytest.raises(RuntimeError) as info:
        tb.train({"device": "cuda"}, d, 1)
    message = str(info.value)
    assert "\n" not in message
    assert "no CUDA GPU was found" in message and "numba.cuda.is_available()" in message
    booster = tb.train({}, d, 1)
    with pytest.raises(RuntimeError, match="no CUDA GPU was found"):
        booster.predict(X, device="cuda")


def test_kernels_on_the_cuda_simulator():
    """Every case of tests/gpu_sim_cases.py, in a process with the simulator enabled."""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         str(HERE / "gpu_sim_cases.py")],
        cwd=HERE.parent, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]


_H, _C = "float64[:, ::1]", "float32[:, :, ::1]"
# Every kernel with the argument types tree/gpu.py launches it with (the simulator runs kernels
# as Python and checks no types; this compiles them as the GPU would).
_SIGNATURES = {
    "training.fill_zero": [f"void({_H})"],
    "training.build_histogram": [
        f"void({b}[:, ::1], float32[:, ::1], int32[::1], int64, int64, int32[::1], int32[::1], "
        f"int64[::1], {_H})"
        for b in ("uint8", "uint16")
    ],
    "training.subtract_histogram": [f"void({_H}, {_H})"],
    "training.scan_features": [
        f"void({_H}, int32[::1], int64[::1], {', '.join(['float64'] * 8)}, {_H})"
    ],
    "training.partition_rows": [
        "void(uint8[:, ::1], int64, int32[::1], int64, int64, uint8[::1], int32[::1], int64[::1])"
    ],
    "training.apply_final_split": [
        "void(uint16[:, ::1], int64, int32[::1], int64, int64, uint8[::1], float64, float64, "
        f"{_H}, int64, int64[::1])"
    ],
    "training.copy_segment": ["void(int32[::1], int32[::1], int64, int64)"],
    "training.add_leaf_values": [
        f"void({_H}, int64, int32[::1], int64[::1], int64[::1], float64[::1])"
    ],
    "objectives.squared_error_gradients": [f"void(float64[::1], {_H}, float64[::1], {_C})"],
    "objectives.logistic_gradients": [
        f"void(float64[::1], {_H}, float64[::1], float64, float64, {_C})"
    ],
    "objectives.softmax_gradients": [f"void(float64[::1], {_H}, float64[::1], float64, {_C})"],
    "predict.predict_margin": [
        f"void({x}[:, ::1], int64[::1], int32[::1], int64, int64, int32[::1], float64[::1], "
        f"int64[::1], float64[::1], {_H})"
        for x in ("float32", "float64")
    ],
    "shap.shap_contribs": [
        f"void({_H}, int64[::1], int32[::1], int64, int64, int32[::1], float64[::1], int64[::1], "
        "float64[::1], float64[::1], int64, float64[::1], int64[:, :, ::1], float64[:, :, ::1], "
        "float64[::1], float64[:, :, ::1])"
    ],
}


def test_kernels_compile_for_a_gpu(monkeypatch):
    """Each kernel compiles to PTX for an H100 (sm_90) through NVVM, no GPU needed."""
    import importlib

    from numba import cuda
    from numba.cuda import dispatcher

    # Device functions called by a kernel compile for the current device's compute
    # capability; with no GPU to ask, they are told the target's.
    monkeypatch.setattr(
        dispatcher,
        "get_current_device",
        lambda: types.SimpleNamespace(compute_capability=(9, 0)),
        raising=False,
    )
    try:
        cuda.compile_ptx(lambda a: None, "void(float64[::1])", cc=(9, 0))
    except Exception as exc:  # no NVVM library in this environment
        pytest.skip(f"NVVM is not available: {exc}")
    for name, signatures in _SIGNATURES.items():
        module, kernel = name.split(".")
        dispatcher_ = getattr(importlib.import_module(f"treeboost.kernels.cuda.{module}"), kernel)
        for signature in signatures:
            ptx, _ = cuda.compile_ptx(dispatcher_.py_func, signature, cc=(9, 0))
            assert ".entry" in ptx, name
