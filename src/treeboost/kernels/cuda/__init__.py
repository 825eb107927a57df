"""numba.cuda kernels of training and prediction on an NVIDIA GPU (see docs/gpu.md).

Only ``tree/gpu.py`` imports these modules, and only when a run asks for ``device="cuda"``: the
CPU path never pays for importing numba.cuda. Every kernel also runs on numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1`` set before numba.cuda is first imported), which is how the tests
check them on machines without a GPU.
"""
