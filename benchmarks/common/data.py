"""Benchmark data: deterministic synthetic sets and the LightGBM example sets, cached as .npy.

Synthetic rows are generated in blocks of ``BLOCK`` rows, each block from its own seed, so the
first ``n`` rows of a larger set equal the smaller set (the scaling workload trains on prefixes of
one stream) and any block can be regenerated alone. Test rows come from a separate stream.

Files live in ``benchmarks/.cache/data`` (git-ignored) as ``<name>.X.npy`` (float32, C order) and
``<name>.y.npy`` (float64); the parent process writes them once and children ``np.load`` them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# The benchmarks/ folder, not this one: the cache stays in benchmarks/.cache (git-ignored), shared
# by every capability, wherever its script lives.
BENCH_DIR = Path(__file__).resolve().parents[1]
CACHE_DIR = BENCH_DIR / ".cache"
DATA_DIR = CACHE_DIR / "data"
REAL_DATA_DIR = Path(os.environ.get("TREEBOOST_BENCH_REAL_DATA",
                                    "/work/shared/data/lightgbm-examples"))

BLOCK = 100_000
GEN_VERSION = 1  # bump when a generator changes, so stale cache files are not reused
_KIND_IDS = {"higgs": 1, "regression": 2, "multiclass": 3, "tiny": 4, "small": 5, "small30": 6}
_TEST_STREAM = 1_000_000  # block seeds of test rows start here (never reached by train blocks)


@dataclass(frozen=True)
class ArrayFiles:
    """Paths of one split's cached arrays."""

    X: str
    y: str
    n_rows: int
    n_features: int

    def to_dict(self) -> dict:
        return {"X": self.X, "y": self.y, "n_rows": self.n_rows, "n_features": self.n_features}


# --------------------------------------------------------------------------------------------
# Generators. Each takes an rng and a row count and returns (X float32, y float64). Coefficients
# that define the target function come from a fixed rng so every block shares one function.
# --------------------------------------------------------------------------------------------

def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _mixed_features(rng: np.random.Generator, n: int, n_features: int) -> np.ndarray:
    """Columns of varied shapes: normal, uniform, exponential, t(5), discrete, correlated."""
    X = np.empty((n, n_features), dtype=np.float64)
    for j in range(n_features):
        kind = j % 6
        if kind == 0:
            X[:, j] = rng.normal(size=n)
        elif kind == 1:
            X[:, j] = rng.uniform(-2.0, 2.0, size=n)
        elif kind == 2:
            X[:, j] = rng.exponential(1.0, size=n)
        elif kind == 3:
            X[:, j] = rng.standard_t(5, size=n)
        elif kind == 4:
            X[:, j] = rng.integers(0, 12, size=n)  # low-cardinality (few distinct bins)
        else:
            X[:, j] = 0.6 * X[:, j - 5] + 0.8 * rng.normal(size=n)  # correlated with a neighbour
    return X


def _higgs_core(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """28 features; the first 6 (~20%) drive the target: a nonlinear score with interactions.

    Column shapes cycle normal, uniform(-2, 2), exponential, t(5), integer 0..11, correlated;
    so x0 normal, x1 uniform, x2 exponential, x3 heavy-tailed, x4 discrete, x5 ~ x0 + noise.
    """
    X = _mixed_features(rng, n, 28)
    x0, x1, x2, x3, x4, x5 = (X[:, j] for j in range(6))
    score = (1.5 * np.sin(2.0 * x0) * x1
             + 1.6 * (np.sqrt(x2) - 0.886)
             + 0.8 * np.tanh(x3) * (x4 - 5.5) / 3.5
             + 0.7 * (x5 > 0.5)
             - 0.5 * (x0 * x3 > 0)
             + 0.6 * np.cos(x1 * x2)
             + 0.3 * np.clip(x1 * x3, -3.0, 3.0))
    return X, score


def _inject_nans(rng: np.random.Generator, X: np.ndarray, columns: tuple[int, ...],
                 rate: float) -> None:
    for j in columns:
        X[rng.random(X.shape[0]) < rate, j] = np.nan


def gen_higgs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Higgs-like binary classification: 28 features, label ~ Bernoulli(sigmoid(score + noise))."""
    X, score = _higgs_core(rng, n)
    logit = score - 0.35 + rng.normal(scale=0.5, size=n)
    y = (rng.random(n) < _sigmoid(logit)).astype(np.float64)
    _inject_nans(rng, X, (1, 9, 14, 20), 0.02)  # a few NaNs, in one informative column too
    return X.astype(np.float32), y


def gen_regression(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Regression on the same feature layout: y = 2 * score + x0 * x1 + gaussian noise."""
    X, score = _higgs_core(rng, n)
    y = 2.0 * (score - 0.3) + X[:, 0] * X[:, 1] + rng.normal(scale=1.0, size=n)
    _inject_nans(rng, X, (1, 9, 14, 20), 0.02)
    return X.astype(np.float32), y


def _multiclass_coefficients(n_classes: int, n_basis: int) -> np.ndarray:
    coef_rng = np.random.default_rng([20240607, _KIND_IDS["multiclass"], GEN_VERSION])
    return coef_rng.normal(scale=1.0, size=(n_classes, n_basis))


def gen_multiclass(rng: np.random.Generator, n: int, n_classes: int = 5,
                   n_features: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """5 classes, 50 features of which 10 are informative; class ~ softmax(A @ basis(x))."""
    X = _mixed_features(rng, n, n_features)
    x = [X[:, j] for j in range(10)]
    basis = np.stack([
        np.sin(2.0 * x[0]), x[1] * x[2] / 2.0, x[3] - 1.0, np.tanh(x[4]) * x[5] / 3.0,
        np.abs(x[6]) - 0.8, (x[7] > 0).astype(np.float64) - 0.5, np.cos(x[8] * x[9]),
        x[0] * x[9] / 3.0, x[2] / 2.0, np.clip(x[5], -3, 3) ** 2 / 3.0 - 0.5,
    ], axis=1)
    logits = 1.6 * basis @ _multiclass_coefficients(n_classes, basis.shape[1]).T
    y = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1).astype(np.float64)
    _inject_nans(rng, X, (2, 17, 33), 0.02)
    return X.astype(np.float32), y


def gen_tiny(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Small binary set for the cold-start workload: 10 features."""
    X = rng.normal(size=(n, 10))
    logit = np.sin(2 * X[:, 0]) * X[:, 1] + X[:, 2] ** 2 - 1 + 0.5 * X[:, 3]
    y = (rng.random(n) < _sigmoid(logit)).astype(np.float64)
    return X.astype(np.float32), y


def gen_small(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Small binary table of the size most applied work has: 20 features, 8 informative with
    interactions, ~3% NaN in two columns."""
    X = rng.normal(size=(n, 20))
    logit = (np.sin(2 * X[:, 0]) * X[:, 1] + 0.6 * X[:, 2] * X[:, 3] - 0.5 * X[:, 4] ** 2
             + 0.8 * np.tanh(X[:, 5]) + 0.4 * X[:, 6] - 0.3 * np.abs(X[:, 7]) + 0.3)
    y = (rng.random(n) < _sigmoid(logit)).astype(np.float64)
    _inject_nans(rng, X, (1, 6), 0.03)
    return X.astype(np.float32), y


def gen_small30(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`gen_small` with 10 more (noise) features: the 2,000 x 30 table of the fit loop."""
    X, y = gen_small(rng, n)
    return np.hstack([X, rng.normal(size=(n, 10)).astype(np.float32)]), y


GENERATORS = {"higgs": gen_higgs, "regression": gen_regression, "multiclass": gen_multiclass,
              "tiny": gen_tiny, "small": gen_small, "small30": gen_small30}


def generate(kind: str, n: int, seed: int, test: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Rows [0, n) of the train (or test) stream of ``kind``, block by block."""
    gen = GENERATORS[kind]
    n_blocks = -(-n // BLOCK)
    xs, ys = [], []
    for b in range(n_blocks):
        rows = min(BLOCK, n - b * BLOCK)
        stream = _TEST_STREAM + b if test else b
        rng = np.random.default_rng([seed, _KIND_IDS[kind], GEN_VERSION, stream])
        # always draw a full block so a block's rows do not depend on how many are kept
        X, y = gen(rng, BLOCK)
        xs.append(X[:rows])
        ys.append(y[:rows])
    X = np.ascontiguousarray(np.concatenate(xs)) if len(xs) > 1 else np.ascontiguousarray(xs[0])
    y = np.concatenate(ys) if len(ys) > 1 else ys[0]
    return X, y


def _save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        np.save(fh, array)
    os.replace(tmp, path)


def synthetic_files(kind: str, n: int, seed: int, test: bool = False) -> ArrayFiles:
    """Cached .npy files of :func:`generate`; generated on first request."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    base = DATA_DIR / f"{kind}-{'test' if test else 'train'}-n{n}-s{seed}-v{GEN_VERSION}"
    x_path, y_path = Path(f"{base}.X.npy"), Path(f"{base}.y.npy")
    if not (x_path.exists() and y_path.exists()):
        X, y = generate(kind, n, seed, test)
        _save(x_path, X)
        _save(y_path, y)
    X = np.load(x_path, mmap_mode="r")
    return ArrayFiles(str(x_path), str(y_path), int(X.shape[0]), int(X.shape[1]))


# --------------------------------------------------------------------------------------------
# The LightGBM example sets: TSV, label in the first column, <name>.train / <name>.test.
# --------------------------------------------------------------------------------------------

REAL_SETS = {
    "binary": ("binary_classification", "binary"),
    "regression": ("regression", "regression"),
    "multiclass": ("multiclass_classification", "multiclass"),
}


def real_set_paths(name: str) -> tuple[Path, Path]:
    folder, stem = REAL_SETS[name]
    return REAL_DATA_DIR / folder / f"{stem}.train", REAL_DATA_DIR / folder / f"{stem}.test"


def real_files(name: str) -> tuple[ArrayFiles, ArrayFiles] | None:
    """(train, test) cached arrays of a LightGBM example set, or None when its files are absent."""
    train_path, test_path = real_set_paths(name)
    if not (train_path.exists() and test_path.exists()):
        return None
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    out = []
    for split, path in (("train", train_path), ("test", test_path)):
        stat = path.stat()
        base = DATA_DIR / f"real-{name}-{split}-{stat.st_size}-{int(stat.st_mtime)}"
        x_path, y_path = Path(f"{base}.X.npy"), Path(f"{base}.y.npy")
        if not (x_path.exists() and y_path.exists()):
            table = np.loadtxt(path, delimiter="\t", dtype=np.float64, ndmin=2)
            _save(x_path, np.ascontiguousarray(table[:, 1:], dtype=np.float32))
            _save(y_path, np.ascontiguousarray(table[:, 0]))
        X = np.load(x_path, mmap_mode="r")
        out.append(ArrayFiles(str(x_path), str(y_path), int(X.shape[0]), int(X.shape[1])))
    return out[0], out[1]
