"""Training on an NVIDIA GPU: the binned rows, gradients, histograms, split scans, partitions and
margins on the device, the grower's Python orchestration unchanged (guide: docs/gpu.md).

- :class:`CudaBinnedMatrix` holds the bins on the device (column-major) and the device copies of
  the round's margins and gradient pairs; ``dense_layout()`` is None, so the grower never takes
  the compiled whole-tree path and grows node by node.
- :class:`CudaHistogramBuilder` answers the histogram seam with device histograms.
- :class:`CudaTreeGrower` is the node-by-node :class:`~treeboost.tree.grower.TreeGrower` with its
  row operations (partition, final splits, leaf values) and split scan on the device; node
  bookkeeping, tree arrays and the choice among features stay on the host, so the trees are
  the CPU's up to the float summation order of the histograms.

numba.cuda is imported here, never by the CPU path: ``import treeboost`` does not load it.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import cuda

from ..data.sparse import SparseBins
from ..kernels.cuda import objectives as gpu_objectives
from ..kernels.cuda import predict as gpu_predict
from ..kernels.cuda import shap as gpu_shap
from ..kernels.cuda import training as gpu
from ..kernels.shap import tree_expected_values
from ..kernels.split import GAIN_TIE_TOLERANCE, _best_of_features, leaf_score
from ..objectives.base import HESSIAN_FLOOR
from .grower import TreeGrower, _grown, applied
from .matrix import BinnedMatrix, DenseBinnedMatrix

# The simulator runs each device thread as a Python thread: one small block per launch (every
# kernel loops over its rows by grid stride) keeps its tests fast. On a GPU, 256 threads per
# block keep enough warps per SM to hide memory latency, and a block per 256 rows fills it.
_SIMULATED = bool(numba.config.ENABLE_CUDASIM)
_THREADS = 16 if _SIMULATED else gpu.THREADS
_MAX_BLOCKS = 1 if _SIMULATED else 1 << 16

# Objectives whose gradient pairs are computed on the device; the others are computed on the
# host and copied to the device once per round.
DEVICE_OBJECTIVES = ("reg:squarederror", "binary:logistic", "multi:softprob", "multi:softmax")


def cuda_available() -> bool:
    """True when numba finds a usable CUDA GPU (or the simulator is enabled)."""
    try:
        return bool(cuda.is_available())
    except Exception:  # a broken driver install answers with an exception, not False
        return False


def require_cuda() -> None:
    """Raise a one-line RuntimeError when ``device="cuda"`` cannot run here."""
    if not cuda_available():
        raise RuntimeError(
            "parameter device='cuda': no CUDA GPU was found (numba.cuda.is_available() is "
            "False; run numba.cuda.detect() to see why); use device='cpu'"
        )


def _blocks(n: int) -> int:
    return max(1, min((int(n) + _THREADS - 1) // _THREADS, _MAX_BLOCKS))


def _address(a: np.ndarray) -> int:
    return int(a.__array_interface__["data"][0])


class CudaBinnedMatrix(BinnedMatrix):
    """Dense numeric bins on the device, plus the round's device margins and gradients.

    The host keeps its (n_rows, n_features) bins for walks of the rows a subsampled round left
    out and for DART (``add_tree``), which update the host margins; the device copy of a margin
    column is refreshed from the host whenever it may be stale (see :meth:`device_margin`).
    """

    def __init__(self, binned: np.ndarray, bin_offsets: np.ndarray):
        super().__init__(binned.shape, bin_offsets)
        self.binned = np.ascontiguousarray(binned)
        # The host's view of the same bins, for the walks that update host margins.
        self._host = DenseBinnedMatrix(self.binned, bin_offsets)
        self.columns = cuda.to_device(np.ascontiguousarray(self.binned.T))
        self.d_offsets = cuda.to_device(self.bin_offsets)
        self._labels: tuple | None = None  # (host y, host weight, device y, device weight)
        self._d_gh = None  # (k, n, 2) float32 of the round, computed on the device
        self._gh_host = (0, 0)  # address and size of the host buffer those pairs stand for
        self._d_margin = None  # (k, n) float64
        self._margin_host = 0  # address of the host margins the device copy mirrors
        self._margin_fresh: set[int] = set()  # outputs whose device column equals the host's

    def histograms(self) -> CudaHistogramBuilder:
        return CudaHistogramBuilder(self)

    def column(self, feature: int) -> np.ndarray:
        return self._host.column(feature)

    def add_tree(
        self, tree, output: int, margin: np.ndarray, rows: np.ndarray | None = None
    ) -> None:
        # Host walk: the margins it updates live on the host (left-out rows, DART).
        self._host.add_tree(tree, output, margin, rows)

    # -- gradients and margins on the device ---------------------------------------------------
    def _device_labels(self, y: np.ndarray, weight: np.ndarray | None):
        cached = self._labels
        if cached is None or cached[0] is not y or cached[1] is not weight:
            d_y = cuda.to_device(np.ascontiguousarray(y, dtype=np.float64))
            w = np.zeros(0) if weight is None else np.ascontiguousarray(weight, dtype=np.float64)
            self._labels = cached = (y, weight, d_y, cuda.to_device(w))
        return cached[2], cached[3]

    def gradients(self, objective, y, margin, weight, gh_out, n_threads: int = 1) -> None:
        """The round's gradient pairs: on the device for :data:`DEVICE_OBJECTIVES` (then
        ``gh_out`` on the host is left as it was, and the grower reads the device copy), else
        ``objective.gradient_hessian`` on the host (the grower then copies each output's pairs
        to the device)."""
        k, n = gh_out.shape[0], gh_out.shape[1]
        name = getattr(objective, "name", None)
        on_device = name in DEVICE_OBJECTIVES and not (
            name == "reg:squarederror" and (k != 1 or np.ndim(y) != 1)
        )
        if not on_device:
            self._gh_host = (0, 0)
            objective.gradient_hessian(y, margin, weight, gh_out, n_threads)
            return
        self._upload_margin(margin)
        d_y, d_w = self._device_labels(y, weight)
        if self._d_gh is None or self._d_gh.shape != gh_out.shape:
            self._d_gh = cuda.device_array(gh_out.shape, dtype=np.float32)
        d_gh, d_m, blocks = self._d_gh, self._d_margin, _blocks(n)
        if name == "reg:squarederror":
            gpu_objectives.squared_error_gradients[blocks, _THREADS](d_y, d_m, d_w, d_gh)
        elif name == "binary:logistic":
            gpu_objectives.logistic_gradients[blocks, _THREADS](
                d_y, d_m, d_w, float(objective.scale_pos_weight), HESSIAN_FLOOR, d_gh
            )
        else:
            gpu_objectives.softmax_gradients[blocks, _THREADS](d_y, d_m, d_w, HESSIAN_FLOOR, d_gh)
        self._gh_host = (_address(gh_out), gh_out.nbytes)

    def device_gh(self, gh: np.ndarray, output: int):
        """The device pairs of one output: this round's device gradients when ``gh`` is that
        output's slice of the buffer :meth:`gradients` stood for, else a copy of ``gh``."""
        base, size = self._gh_host
        if (
            size
            and gh.dtype == np.float32
            and gh.shape == (self.n_rows, 2)
            and _address(gh) == base + output * gh.nbytes
            and (output + 1) * gh.nbytes <= size
        ):
            return self._d_gh[output]
        return cuda.to_device(np.ascontiguousarray(gh, dtype=np.float32))

    def _upload_margin(self, margin: np.ndarray) -> None:
        if self._d_margin is None or self._d_margin.shape != (margin.shape[1], margin.shape[0]):
            self._d_margin = cuda.device_array((margin.shape[1], margin.shape[0]), np.float64)
        self._d_margin.copy_to_device(np.ascontiguousarray(margin.T))
        self._margin_host = _address(margin)
        self._margin_fresh = set(range(margin.shape[1]))

    def device_margin(self, margin: np.ndarray, output: int):
        """The device margins, with column ``output`` equal to the host's ``margin[:, output]``
        (copied unless :meth:`gradients` uploaded it this round and nothing has used it since:
        the host may change it between trees, by walks of left-out rows or DART)."""
        shape = (margin.shape[1], margin.shape[0])
        fresh = (
            self._d_margin is not None
            and self._d_margin.shape == shape
            and self._margin_host == _address(margin)
            and output in self._margin_fresh
        )
        if not fresh:
            if self._d_margin is None or self._d_margin.shape != shape:
                self._d_margin = cuda.device_array(shape, np.float64)
            self._d_margin[output].copy_to_device(np.ascontiguousarray(margin[:, output]))
        self._margin_fresh.discard(output)
        return self._d_margin

    def download_margin(self, margin: np.ndarray, output: int) -> None:
        """``margin[:, output]`` = the device column (after a tree added its leaves there)."""
        margin[:, output] = self._d_margin[output].copy_to_host()


class DeviceHistogram:
    """A node histogram on the device: ``array`` (total_bins, 2) float64 is what the kernels
    read; indexing copies the selected bins to the host (the grower reads the root's totals off
    one feature's bins that way)."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, key) -> np.ndarray:
        return self.array[key].copy_to_host()

    @property
    def shape(self) -> tuple:
        return tuple(self.array.shape)


class CudaHistogramBuilder:
    """The histogram seam on the device: node histograms are (total_bins, 2) float64 device
    arrays, from a pool; ``build`` reads the device gradient pairs and row indices the
    :class:`CudaTreeGrower` hands the grower's orchestration in place of host arrays."""

    def __init__(self, matrix: CudaBinnedMatrix):
        self.matrix = matrix
        self.bin_offsets = matrix.bin_offsets
        self.total_bins = int(self.bin_offsets[-1])
        self._pool: list = []
        self._features_key: np.ndarray | None = None
        self._features: tuple | None = None

    def acquire(self):
        if self._pool:
            return self._pool.pop()
        return DeviceHistogram(cuda.device_array((max(self.total_bins, 1), 2), dtype=np.float64))

    def release(self, hist) -> None:
        if hist is not None:
            self._pool.append(hist)

    def device_features(self, features: np.ndarray) -> tuple:
        """(device features, device group starts, number of groups) of a feature set: groups of
        consecutive features whose bins span at most SHARED_BINS, each summed by its own blocks
        in shared memory. The last set is kept (most calls pass the tree's features)."""
        if self._features_key is not features:
            off = self.bin_offsets
            starts = [0]
            for j in range(1, features.shape[0]):
                first = features[starts[-1]]
                if off[features[j] + 1] - off[first] > gpu.SHARED_BINS:
                    starts.append(j)
            starts.append(features.shape[0])
            self._features = (
                cuda.to_device(np.ascontiguousarray(features, dtype=np.int32)),
                cuda.to_device(np.asarray(starts, dtype=np.int32)),
                len(starts) - 1,
            )
            self._features_key = features  # held, so its id is not reused while cached
        return self._features

    def build(self, gh, sample_indices, start, end, features, within=None):
        """Histogram of rows ``sample_indices[start:end]`` (device arrays) over ``within``
        (default ``features``); dense bins: every summed feature is active."""
        summed = features if within is None else within
        hist = self.acquire()
        gpu.fill_zero[_blocks(hist.shape[0]), _THREADS](hist.array)
        n = end - start
        if n > 0 and summed.shape[0]:
            d_features, d_starts, n_groups = self.device_features(summed)
            row_blocks = min(_blocks(n), gpu.MAX_ROW_BLOCKS)
            gpu.build_histogram[(row_blocks, n_groups), _THREADS](
                self.matrix.columns,
                gh,
                sample_indices,
                start,
                end,
                d_features,
                d_starts,
                self.matrix.d_offsets,
                hist.array,
            )
        return hist, summed

    def subtract_into_parent(self, parent, child, features):
        """Turn ``parent`` into the sibling of ``child`` in place and return it."""
        gpu.subtract_histogram[_blocks(parent.shape[0]), _THREADS](parent.array, child.array)
        return parent


class CudaTreeGrower(TreeGrower):
    """:class:`~treeboost.tree.grower.TreeGrower` over a :class:`CudaBinnedMatrix`: the same
    node-by-node orchestration, its row operations and split scans on the device.

    Covers numeric features without monotone or interaction constraints (the device split scan
    is the unconstrained numeric one); other runs are refused with a one-line error.
    """

    def __init__(self, matrix, bin_upper_bounds, split_params, growth_params, constraints=None,
                 categorical=None, categorical_params=None):  # fmt: skip
        if not isinstance(matrix, CudaBinnedMatrix):
            raise TypeError(f"CudaTreeGrower needs a CudaBinnedMatrix, got {type(matrix).__name__}")
        if categorical is not None and np.any(categorical):
            raise ValueError(
                "parameter device='cuda' supports numeric features only; this Dataset has "
                f"categorical feature {int(np.flatnonzero(categorical)[0])}: use device='cpu'"
            )
        if constraints is not None and (
            constraints.monotone is not None or constraints.interaction_sets is not None
        ):
            raise ValueError(
                "parameter device='cuda' does not support monotone_constraints or "
                "interaction_constraints yet; use device='cpu'"
            )
        super().__init__(matrix, bin_upper_bounds, split_params, growth_params, constraints,
                         categorical, categorical_params)  # fmt: skip
        self._d_counts = cuda.device_array(2, dtype=np.int64)
        self._d_scratch = cuda.device_array(max(matrix.n_rows, 1), dtype=np.int32)
        self._zero_counts = np.zeros(2, dtype=np.int64)
        self._d_margin = None

    def grow(self, gh, sample_indices, tree_features, rng, margin=None, output=0,
             feature_weights=None, left_out=None, quant_key=0):  # fmt: skip
        """:meth:`TreeGrower.grow` on the device: ``gh`` and the margins are the device copies
        (see :class:`CudaBinnedMatrix`), ``sample_indices`` is copied to the device, partitioned
        there and copied back at the end, so the leaf segments of the result refer to it."""
        m = self.matrix
        n = sample_indices.shape[0]
        d_gh = m.device_gh(gh, output)
        d_idx = cuda.to_device(np.ascontiguousarray(sample_indices, dtype=np.int32))
        self._d_margin = None if margin is None else m.device_margin(margin, output)
        root_hist, root_active = self.histograms.build(d_gh, d_idx, 0, n, tree_features)
        self._gh = d_gh
        self._sample_indices = d_idx
        try:
            leaves, tree = self._grow_from(
                root_hist, root_active, n, tree_features, rng, feature_weights, margin, output
            )
        finally:
            self._gh = self._sample_indices = self._margin = None
        leaf_nodes = np.array([leaf.node_id for leaf in leaves], dtype=np.int64)
        starts = np.array([leaf.start for leaf in leaves], dtype=np.int64)
        ends = np.array([leaf.end for leaf in leaves], dtype=np.int64)
        if margin is not None:
            if leaves:
                values = tree.value[leaf_nodes].astype(np.float64)
                widest = int((ends - starts).max())
                gpu.add_leaf_values[(_blocks(widest), len(leaves)), _THREADS](
                    self._d_margin, output, d_idx, cuda.to_device(starts),
                    cuda.to_device(ends), cuda.to_device(values),
                )  # fmt: skip
            m.download_margin(margin, output)
            if left_out is not None and left_out.size:
                m.add_tree(tree, output, margin, left_out)
        sample_indices[:] = d_idx.copy_to_host()
        self._d_margin = None
        if margin is not None:
            return applied(tree)
        return _grown(tree, leaf_nodes, starts, ends, None, output, sample_indices)

    def _evaluate_numeric(self, node, features: np.ndarray) -> None:
        """The best numeric split: each feature's best on the device (one thread each), the best
        of those on the host in feature order with the CPU's tie rule."""
        p = self.split
        n_features = features.shape[0]
        if n_features == 0:
            result = (-np.inf, -1, 0, False, 0.0, 0.0)
        else:
            d_features = self.histograms.device_features(features)[0]
            d_out = cuda.device_array((n_features, 5), dtype=np.float64)
            parent = leaf_score(node.sum_g, node.sum_h, p.reg_lambda, p.reg_alpha,
                                p.max_delta_step)  # fmt: skip
            gpu.scan_features[_blocks(n_features), _THREADS](
                node.hist.array, d_features, self.matrix.d_offsets, node.sum_g, node.sum_h, parent,
                p.reg_lambda, p.reg_alpha, p.max_delta_step, max(p.min_child_weight, 1e-300),
                GAIN_TIE_TOLERANCE, d_out,
            )  # fmt: skip
            per_feature = d_out.copy_to_host()
            result = _best_of_features(per_feature, np.ascontiguousarray(features, dtype=np.int32))
        self._take_split(node, result)

    def _partition(self, node, plan) -> int:
        """Partition the node's segment of the device rows (or, for a final split, add the
        children's values to the device margins); the rows that go left."""
        n = node.n_rows
        counts = self._d_counts
        counts.copy_to_device(self._zero_counts)
        d_table = cuda.to_device(np.ascontiguousarray(plan.table, dtype=np.uint8))
        blocks = _blocks(n)
        columns, rows = self.matrix.columns, self._sample_indices
        if plan.apply_now:
            gpu.apply_final_split[blocks, _THREADS](
                columns, node.feature, rows, node.start, node.end, d_table,
                float(plan.left_value), float(plan.right_value), self._d_margin, self._output,
                counts,
            )  # fmt: skip
        else:
            gpu.partition_rows[blocks, _THREADS](
                columns, node.feature, rows, node.start, node.end, d_table, self._d_scratch,
                counts,
            )  # fmt: skip
            gpu.copy_segment[blocks, _THREADS](self._d_scratch, rows, node.start, node.end)
        return int(counts.copy_to_host()[0])


def cuda_binned_matrix(binned, bin_offsets: np.ndarray) -> CudaBinnedMatrix:
    """The device variant of :func:`~treeboost.tree.matrix.binned_matrix` (``device="cuda"``)."""
    require_cuda()
    if isinstance(binned, CudaBinnedMatrix):
        return binned
    if isinstance(binned, SparseBins):
        raise ValueError(
            "parameter device='cuda' needs dense data; this Dataset holds sparse bins: pass a "
            "dense array or use device='cpu'"
        )
    return CudaBinnedMatrix(np.asarray(binned), bin_offsets)


def predict_margin(forest, X: np.ndarray, tree_begin: int, tree_end: int, out: np.ndarray) -> None:
    """``out[:, k] +=`` the leaf values of trees [tree_begin, tree_end) for the dense numeric raw
    rows ``X``, one device thread per row; ``forest`` is a model/forest.py Forest (read through
    its arrays only)."""
    require_cuda()
    if forest.has_categorical:
        raise ValueError("device prediction covers numeric splits only; use device='cpu'")
    n = X.shape[0]
    if n == 0 or tree_end <= tree_begin:
        return
    d_out = cuda.to_device(np.ascontiguousarray(out, dtype=np.float64))
    gpu_predict.predict_margin[_blocks(n), _THREADS](
        cuda.to_device(np.ascontiguousarray(X)),
        cuda.to_device(forest.roots),
        cuda.to_device(forest.outputs),
        int(tree_begin),
        int(tree_end),
        cuda.to_device(forest.split_code),
        cuda.to_device(forest.threshold),
        cuda.to_device(forest.left),
        cuda.to_device(forest.value),
        d_out,
    )
    out[...] = d_out.copy_to_host()


# Device memory for the TreeSHAP workspaces: each thread holds its own path arrays and stacks
# (14 rows of (max_depth + 2)^2 values), so the number of threads is capped by this budget.
_SHAP_WORKSPACE_BYTES = 256 << 20


def shap_contributions(forest, X: np.ndarray, tree_begin: int, tree_end: int, out: np.ndarray):
    """``out`` (n, k, m + 1) float64 ``+=`` the path-dependent TreeSHAP values of trees
    [tree_begin, tree_end) for dense numeric raw rows ``X``, each tree's expected value in the
    last column: model/treeshap.py's ``contributions``, one device thread per row."""
    require_cuda()
    if forest.has_categorical:
        raise ValueError("device TreeSHAP covers numeric splits only; use device='cpu'")
    n = X.shape[0]
    if n == 0 or tree_end <= tree_begin:
        return
    max_depth = int(forest.depths[tree_begin:tree_end].max())
    size = max_depth + 2
    expected = np.empty(tree_end - tree_begin, dtype=np.float64)
    tree_expected_values(forest.roots, tree_begin, tree_end, forest.left, forest.value,
                         forest.cover, max_depth, expected)  # fmt: skip
    inv = np.zeros(size + 2, dtype=np.float64)
    inv[1:] = 1.0 / np.arange(1, size + 2)
    per_thread = (gpu_shap.N_INT_ROWS + gpu_shap.N_FLOAT_ROWS) * size * size * 8
    blocks = max(1, min(_blocks(n), _SHAP_WORKSPACE_BYTES // (per_thread * _THREADS)))
    n_threads = blocks * _THREADS
    d_out = cuda.to_device(np.ascontiguousarray(out))
    gpu_shap.shap_contribs[blocks, _THREADS](
        cuda.to_device(np.ascontiguousarray(X)),
        cuda.to_device(forest.roots),
        cuda.to_device(forest.outputs),
        int(tree_begin),
        int(tree_end),
        cuda.to_device(forest.split_code),
        cuda.to_device(forest.threshold),
        cuda.to_device(forest.left),
        cuda.to_device(forest.value),
        cuda.to_device(forest.cover),
        size,
        cuda.to_device(expected),
        cuda.device_array((n_threads, gpu_shap.N_INT_ROWS, size * size), dtype=np.int64),
        cuda.device_array((n_threads, gpu_shap.N_FLOAT_ROWS, size * size), dtype=np.float64),
        cuda.to_device(inv),
        d_out,
    )
    out[...] = d_out.copy_to_host()


__all__ = [
    "CudaBinnedMatrix",
    "CudaHistogramBuilder",
    "CudaTreeGrower",
    "DEVICE_OBJECTIVES",
    "DeviceHistogram",
    "cuda_available",
    "cuda_binned_matrix",
    "predict_margin",
    "require_cuda",
    "shap_contributions",
]
