"""Workload definitions: which data, which parameters, which libraries, full and quick sizes.

A workload is a list of *cases*; a case is one data set + one parameter setting, measured once
per library per repeat, each measurement in its own child process
(``benchmarks.training.child``). Two cases with the same child spec (e.g. the threads workload at
n_jobs=2 and the depth-wise Higgs workload) are measured once and shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common import data
from ..common.libs import LIBRARIES

SEED = 0
ROUNDS = 100
LEARNING_RATE = 0.1
N_JOBS = 2
TEST_ROWS = 100_000

LEAFWISE = {"policy": "lossguide", "max_depth": 0, "max_leaves": 63}
DEPTHWISE = {"policy": "depthwise", "max_depth": 6, "max_leaves": 0}


def common(shape: dict[str, Any], *, rounds: int = ROUNDS, n_jobs: int = N_JOBS,
           num_class: int = 0) -> dict[str, Any]:
    c = {"rounds": rounds, "learning_rate": LEARNING_RATE, "n_jobs": n_jobs, "seed": SEED,
         **shape}
    if num_class:
        c["num_class"] = num_class
    return c


@dataclass
class Case:
    label: str            # row/table label inside the workload
    task: str             # binary | regression | multiclass
    common: dict[str, Any]
    train: data.ArrayFiles | None
    test: data.ArrayFiles | None
    libraries: tuple[str, ...] = LIBRARIES
    mode: str = "fit"
    extra: dict[str, Any] = field(default_factory=dict)  # predict_repeats, latency_calls, ...

    def spec(self, lib: str) -> dict[str, Any]:
        s = {"mode": self.mode, "lib": lib, "task": self.task, "common": self.common,
             "train": self.train.to_dict() if self.train else None,
             "test": self.test.to_dict() if self.test else None}
        s.update(self.extra)
        return s


@dataclass
class Workload:
    name: str
    title: str
    description: str
    cases: list[Case]
    kind: str = "standard"  # standard | scaling | coldstart | threads | predict
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sizes:
    higgs_rows: int
    regression_rows: int
    multiclass_rows: int
    test_rows: int
    multiclass_test_rows: int
    scaling_rows: tuple[int, ...]
    predict_train_rows: int
    coldstart_rows: int = 10_000
    coldstart_rounds: int = 10


FULL = Sizes(higgs_rows=1_000_000, regression_rows=1_000_000, multiclass_rows=200_000,
             test_rows=TEST_ROWS, multiclass_test_rows=TEST_ROWS,
             scaling_rows=(100_000, 300_000, 1_000_000, 3_000_000), predict_train_rows=200_000)
QUICK = Sizes(higgs_rows=200_000, regression_rows=200_000, multiclass_rows=50_000,
              test_rows=TEST_ROWS, multiclass_test_rows=50_000,
              scaling_rows=(100_000, 300_000), predict_train_rows=100_000)

WORKLOAD_NAMES = ("higgs-leafwise", "higgs-depthwise", "regression", "multiclass", "real",
                  "scaling", "coldstart", "threads", "predict", "small", "estimators", "loop",
                  "quantized")

# The fit loop: what a tuning run or a forward selection asks of the library.
LOOP_ROWS = 2_000
LOOP_FITS = 200

# The small-table workload: per-round and per-node costs, not histogram throughput, decide it.
SMALL_ROWS = 5_000
SMALL_ROUNDS = 1_000
SMALL_LEARNING_RATE = 0.05


def scaled(sizes: Sizes, factor: float) -> Sizes:
    """Every row count times ``factor`` (a debugging aid: ``--scale 0.05``)."""
    if factor == 1.0:
        return sizes

    def s(n: int) -> int:
        return max(2_000, int(round(n * factor)))

    return Sizes(s(sizes.higgs_rows), s(sizes.regression_rows), s(sizes.multiclass_rows),
                 s(sizes.test_rows), s(sizes.multiclass_test_rows),
                 tuple(s(n) for n in sizes.scaling_rows), s(sizes.predict_train_rows),
                 sizes.coldstart_rows, sizes.coldstart_rounds)


def _rows(n: int) -> str:
    return f"{n:,}"


def build(name: str, sizes: Sizes) -> Workload:
    """The workload ``name`` at ``sizes`` (generates and caches its data on first use)."""
    if name in ("higgs-leafwise", "higgs-depthwise"):
        leaf = name == "higgs-leafwise"
        train = data.synthetic_files("higgs", sizes.higgs_rows, SEED)
        test = data.synthetic_files("higgs", sizes.test_rows, SEED, test=True)
        shape = LEAFWISE if leaf else DEPTHWISE
        what = "leaf-wise, 63 leaves" if leaf else "depth-wise, depth 6"
        return Workload(
            name, f"Higgs-like binary classification, {what}",
            f"Synthetic {_rows(train.n_rows)} x {train.n_features} float32 training rows "
            f"(nonlinear target with interactions, 6 of 28 features informative, ~2% NaN in 4 "
            f"columns), {_rows(test.n_rows)} test rows, {ROUNDS} rounds, learning rate "
            f"{LEARNING_RATE}, 255 value bins, n_jobs={N_JOBS}. Metric: test AUC.",
            [Case(what, "binary", common(shape), train, test)])
    if name == "regression":
        train = data.synthetic_files("regression", sizes.regression_rows, SEED)
        test = data.synthetic_files("regression", sizes.test_rows, SEED, test=True)
        return Workload(
            name, "Regression, depth-wise, depth 6",
            f"Synthetic {_rows(train.n_rows)} x {train.n_features} float32 training rows (the "
            f"Higgs-like features, a continuous nonlinear target plus gaussian noise), "
            f"{_rows(test.n_rows)} test rows, {ROUNDS} rounds, squared error. Metric: test RMSE.",
            [Case("depth-wise, depth 6", "regression", common(DEPTHWISE), train, test)])
    if name == "multiclass":
        train = data.synthetic_files("multiclass", sizes.multiclass_rows, SEED)
        test = data.synthetic_files("multiclass", sizes.multiclass_test_rows, SEED, test=True)
        return Workload(
            name, "Multiclass, 5 classes, depth-wise, depth 6",
            f"Synthetic {_rows(train.n_rows)} x {train.n_features} float32 training rows "
            f"(10 informative features, softmax over nonlinear class scores), "
            f"{_rows(test.n_rows)} test rows, {ROUNDS} rounds (5 trees per round). "
            f"Metric: test multiclass log loss.",
            [Case("depth-wise, depth 6", "multiclass", common(DEPTHWISE, num_class=5), train,
                  test)])
    if name == "real":
        cases, notes = [], []
        for set_name, task in (("binary", "binary"), ("regression", "regression"),
                               ("multiclass", "multiclass")):
            files = data.real_files(set_name)
            train_path, _ = data.real_set_paths(set_name)
            if files is None:
                notes.append(f"`{set_name}` skipped: {train_path.parent} not found.")
                continue
            train, test = files
            num_class = 5 if task == "multiclass" else 0
            cases.append(Case(f"{set_name} ({_rows(train.n_rows)} x {train.n_features}, "
                              f"test {_rows(test.n_rows)})", task,
                              common(DEPTHWISE, num_class=num_class), train, test))
        notes.append("The binary set's `.weight` files are not used (all libraries train "
                     "unweighted).")
        return Workload(
            name, "Real data: LightGBM example sets (accuracy)",
            f"The `binary_classification`, `regression` and `multiclass_classification` examples "
            f"shipped with LightGBM, read from `{data.REAL_DATA_DIR}` (TSV, label in the first "
            f"column). Depth-wise depth 6, {ROUNDS} rounds, learning rate {LEARNING_RATE}. "
            f"These sets are small: the point is the test metric, not the timings.",
            cases, notes=notes)
    if name == "scaling":
        test = data.synthetic_files("higgs", sizes.test_rows, SEED, test=True)
        cases = [Case(_rows(n), "binary", common(DEPTHWISE),
                      data.synthetic_files("higgs", n, SEED), test,
                      libraries=("treeboost", "xgboost", "lightgbm"))
                 for n in sizes.scaling_rows]
        return Workload(
            name, "Scaling with rows (Higgs-like, depth-wise, depth 6)",
            f"Fit time on the first N rows of the Higgs-like stream (N = "
            f"{', '.join(_rows(n) for n in sizes.scaling_rows)}), {ROUNDS} rounds, "
            f"n_jobs={N_JOBS}. Same settings as the depth-wise Higgs-like workload, so an N that "
            f"matches its size is measured once and shared.",
            cases, kind="scaling")
    if name == "coldstart":
        train = data.synthetic_files("tiny", sizes.coldstart_rows, SEED)
        case = Case("coldstart", "binary", common(DEPTHWISE, rounds=sizes.coldstart_rounds),
                    train, None, mode="coldstart")
        return Workload(
            name, "Cold start (fresh process)",
            f"A fresh Python process imports the library and fits {_rows(train.n_rows)} x "
            f"{train.n_features} rows, {sizes.coldstart_rounds} rounds, depth 6, then predicts "
            f"the same rows; then fits and predicts a second time in the same process. For "
            f"treeboost, `NUMBA_CACHE_DIR` points at a new empty directory (every kernel is "
            f"compiled) and then, in a second fresh process, at that now filled directory "
            f"(kernels loaded from the on-disk cache).",
            [case], kind="coldstart")
    if name == "threads":
        train = data.synthetic_files("higgs", sizes.higgs_rows, SEED)
        test = data.synthetic_files("higgs", sizes.test_rows, SEED, test=True)
        cases = [Case(f"n_jobs={j}", "binary", common(DEPTHWISE, n_jobs=j), train, test)
                 for j in (1, 2)]
        return Workload(
            name, "Threads (Higgs-like, depth-wise, depth 6)",
            f"The depth-wise Higgs-like workload ({_rows(train.n_rows)} rows) with n_jobs=1 and "
            f"n_jobs=2. Each child also gets OMP_NUM_THREADS / NUMBA_NUM_THREADS = n_jobs, so "
            f"Dataset construction and scikit-learn (OpenMP) follow the same limit.",
            cases, kind="threads")
    if name == "predict":
        train = data.synthetic_files("higgs", sizes.predict_train_rows, SEED)
        test = data.synthetic_files("higgs", sizes.test_rows, SEED, test=True)
        case = Case("predict", "binary", common(DEPTHWISE), train, test,
                    extra={"predict_repeats": 5, "latency_calls": 200})
        return Workload(
            name, "Prediction (100 trees, depth 6)",
            f"A 100-round depth-6 binary model (trained on {_rows(train.n_rows)} Higgs-like "
            f"rows) predicts {_rows(test.n_rows)} raw float32 rows: median of 5 calls after one "
            f"warm call; and the median latency of 200 single-row calls. treeboost: "
            f"`Booster.predict`; XGBoost: `Booster.inplace_predict`; LightGBM: "
            f"`Booster.predict`; scikit-learn: `predict_proba`.",
            [case], kind="predict")
    if name == "small":
        train = data.synthetic_files("small", SMALL_ROWS, SEED)
        test = data.synthetic_files("small", SMALL_ROWS, SEED, test=True)

        def small(shape):
            c = common(shape, rounds=SMALL_ROUNDS)
            c["learning_rate"] = SMALL_LEARNING_RATE
            return c

        cases = [Case("depth-wise, depth 6", "binary", small(DEPTHWISE), train, test),
                 Case("leaf-wise, 31 leaves", "binary",
                      small({"policy": "lossguide", "max_depth": 0, "max_leaves": 31}),
                      train, test)]
        return Workload(
            name, f"Small table ({_rows(SMALL_ROWS)} x 20), {SMALL_ROUNDS:,} rounds",
            f"Synthetic {_rows(train.n_rows)} x {train.n_features} float32 rows (8 informative "
            f"features with interactions, ~3% NaN in two columns), {_rows(test.n_rows)} test "
            f"rows, {SMALL_ROUNDS:,} rounds, learning rate {SMALL_LEARNING_RATE}, "
            f"n_jobs={N_JOBS}: the fixed cost of each round and node, which decides fit time on "
            f"the tables most applied work has. Metric: test AUC.",
            cases)
    if name == "loop":
        train = data.synthetic_files("small30", LOOP_ROWS, SEED)
        test = data.synthetic_files("small30", LOOP_ROWS, SEED, test=True)
        c = {**common(DEPTHWISE), "harness": "estimator"}
        case = Case(f"{LOOP_FITS} fits, depth-wise, depth 6", "binary", c, train, test,
                    libraries=("treeboost", "xgboost", "lightgbm"),
                    extra={"loop_fits": LOOP_FITS})
        return Workload(
            name, f"A loop of {LOOP_FITS} fits ({_rows(LOOP_ROWS)} x 30)",
            f"{LOOP_FITS} fits in one process of {_rows(train.n_rows)} x {train.n_features} "
            f"float32 rows (8 informative features, ~3% NaN in two columns), each through the "
            f"library's scikit-learn estimator with its own seed, {ROUNDS} rounds, depth 6, "
            f"n_jobs={N_JOBS}: what a tuning run or a forward selection asks. fit s: the whole "
            f"loop. Metric: test AUC of the last model.",
            [case])
    if name == "estimators":
        train = data.synthetic_files("higgs", sizes.higgs_rows, SEED)
        test = data.synthetic_files("higgs", sizes.test_rows, SEED, test=True)
        cases = []
        for shape, what in ((LEAFWISE, "leaf-wise, 63 leaves"), (DEPTHWISE, "depth-wise, depth 6")):
            for dtype in ("float32", "float64"):
                c = {**common(shape), "harness": "estimator", "dtype": dtype}
                cases.append(Case(f"{what}, {dtype}", "binary", c, train, test,
                                  libraries=("treeboost", "xgboost", "lightgbm"),
                                  extra={"predict_repeats": 3}))
        return Workload(
            name, "Through the scikit-learn estimators (Higgs-like, float32 and float64)",
            f"The Higgs-like workloads ({_rows(train.n_rows)} training rows, {ROUNDS} rounds) "
            f"as their users call each library: `TreeBoostClassifier`, `XGBClassifier` (which "
            f"builds a QuantileDMatrix for `tree_method='hist'`), `LGBMClassifier`, on float32 "
            f"and on float64 input (converted before timing). predict s: `predict_proba` of "
            f"{_rows(test.n_rows)} rows, median of 3 calls. Metric: test AUC.",
            cases)
    if name == "quantized":
        train = data.synthetic_files("higgs", sizes.higgs_rows, SEED)
        test = data.synthetic_files("higgs", sizes.test_rows, SEED, test=True)
        cases = []
        for shape, what in ((DEPTHWISE, "depth-wise, depth 6"), (LEAFWISE, "leaf-wise, 63 leaves")):
            for quantized in (False, True):
                c = {**common(shape), "quantized": quantized}
                label = f"{what}, {'quantized' if quantized else 'float'} gradients"
                cases.append(Case(label, "binary", c, train, test,
                                  libraries=("treeboost", "lightgbm")))
        return Workload(
            name, "Quantized gradients (Higgs-like)",
            f"The Higgs-like workloads ({_rows(train.n_rows)} training rows, {ROUNDS} rounds, "
            f"n_jobs={N_JOBS}) with float gradient histograms and with gradients rounded to 4 "
            f"integer levels (`use_quantized_grad=True, num_grad_quant_bins=4` in both "
            f"treeboost and LightGBM, LightGBM's defaults otherwise: stochastic rounding, "
            f"leaves not refitted). Metric: test AUC.",
            cases)
    raise ValueError(f"unknown workload {name!r}; valid: {', '.join(WORKLOAD_NAMES)}")
