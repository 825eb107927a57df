"""Coverage study of treeboost's conformal methods (also under covariate shift and over a regime
change), and the calibration before/after numbers.

    .venv/bin/python -m benchmarks.coverage.run     # 200 splits, writes coverage/RESULTS.md
    .venv/bin/python -m benchmarks.coverage.run --splits 20 --output /tmp/coverage.md

Protocol. For the split (inductive) methods a model is fitted once per data set on a fixed 40%
of the rows; each of the ``--splits`` random splits then cuts the other rows in half, a
calibration half and a test half, calibrates on the first (``cv="prefit"``) and measures the
coverage of the intervals or sets at alpha = 0.1 on the second. Methods that refit (CV+,
jackknife+, cross-conformal) draw a fresh random training/test split each time. The mean
coverage over the splits should lie in [0.89, 0.92]; the table also gives its standard error.

Expected coverage. A deterministic split rule (split, normalised split, CQR, LAC without
smoothing) covers with probability exactly ``ceil((n + 1)(1 - alpha)) / (n + 1)`` at ``n``
calibration rows when the scores have no ties (Mondrian: that value for each class's ``n``,
averaged over the test rows' classes); smoothed p-values cover with probability exactly
``1 - alpha``. Around it, the 99.7% interval (3 standard deviations) of a mean over the splits'
test rows: the rows of one split share a calibration set, so one split's coverage is
beta-binomial, its conditional coverage ``Beta(k, n + 1 - k)`` with ``k`` that rank, and the
splits are independent. CV+, jackknife+ and cross-conformal promise only the floor
``1 - 2 alpha``; their interval is one-sided, 3 binomial standard deviations below it.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import treeboost as tb
from treeboost.metrics import (
    ace,
    brier_score,
    class_coverage,
    coverage,
    ece,
    log_loss,
    mean_set_size,
    mean_width,
)

ALPHA = 0.1
# Width of the interval around the expected coverage, in standard deviations (99.7%).
Z_THEORY = 3.0
# The shared data folder sits beside the repository: parents[2] is the repository root.
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "lightgbm-examples"
OUTPUT = Path(__file__).resolve().parent / "RESULTS.md"


# -- data -----------------------------------------------------------------------------------
def _shared(kind: str, file: str) -> tuple[np.ndarray, np.ndarray] | None:
    folder = SHARED / kind
    if not folder.is_dir():
        return None
    tables = [np.loadtxt(folder / f"{file}.{part}", delimiter="\t") for part in ("train", "test")]
    table = np.vstack(tables)
    return table[:, 1:], table[:, 0]


# The shared "regression" example has a 0/1 target (the HIGGS class), on which any interval
# from 0 to 1 covers every row: CQR then reaches coverage 1.0 whatever alpha is. A continuous
# real target comes instead from the same physics sample: its 26th feature column, a
# high-level kinematic quantity, predicted from the other 27 (the class label left out).
_HIGGS_TARGET_COLUMN = 25


def regression_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    sets = {"diabetes (sklearn)": load_diabetes(return_X_y=True)}
    shared = _shared("regression", "regression")
    if shared is not None:
        features = shared[0]
        others = np.delete(features, _HIGGS_TARGET_COLUMN, axis=1)
        sets["higgs sample (shared), feature 26 as target"] = (
            others,
            features[:, _HIGGS_TARGET_COLUMN],
        )
    return sets


def classification_sets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    sets = {
        "breast_cancer (sklearn)": load_breast_cancer(return_X_y=True),
        "wine (sklearn)": load_wine(return_X_y=True),
        "digits (sklearn)": load_digits(return_X_y=True),
    }
    for kind, file, name in (
        ("binary_classification", "binary", "higgs sample (shared)"),
        ("multiclass_classification", "multiclass", "lightgbm multiclass (shared)"),
    ):
        shared = _shared(kind, file)
        if shared is not None:
            sets[name] = (shared[0], shared[1].astype(int))
    return sets


# -- models ---------------------------------------------------------------------------------
# Depth-wise trees and no sampling, as when this study was run (the estimators' defaults have
# changed since; docs/defaults.md).
_XGB_SHAPE = {"grow_policy": "depthwise", "subsample": 1.0, "colsample_bytree": 1.0}


def booster_regressor(**kw):
    return tb.TreeBoostRegressor(n_estimators=100, max_depth=4, learning_rate=0.1, n_jobs=1,
                                 **_XGB_SHAPE, **kw)


def booster_classifier():
    return tb.TreeBoostClassifier(n_estimators=100, max_depth=4, learning_rate=0.1, n_jobs=1,
                                  **_XGB_SHAPE)


# -- what theory expects ----------------------------------------------------------------------
def split_expected_coverage(n: int, alpha: float) -> float:
    """``ceil((n + 1)(1 - alpha)) / (n + 1)``: the exact coverage of a deterministic split rule
    at ``n`` calibration rows (1 when the rank exceeds ``n``: the interval is unbounded)."""
    from treeboost.uncertainty._quantile import conformal_rank

    return min(conformal_rank(n, alpha), n + 1) / (n + 1)


def split_coverage_moments(
    n: int, m: int, alpha: float, randomized: bool = False
) -> tuple[float, float]:
    """Mean and variance of one split's coverage over ``m`` test rows at ``n`` calibration rows.

    Given the calibration set, coverage is ``C = F(threshold)``, ``Beta(k, n + 1 - k)`` for the
    ``k``-th smallest score; the ``m`` test rows are then binomial with that ``C``. Smoothed
    p-values have mean ``1 - alpha`` exactly; their ``C`` is taken as the Beta with the same mean
    (the rank unrounded).
    """
    if randomized:
        p = 1.0 - alpha
        var_c = p * (1.0 - p) / (n + 2)
    else:
        p = split_expected_coverage(n, alpha)
        var_c = p * (1.0 - p) / (n + 2)  # k (n + 1 - k) / ((n + 1)^2 (n + 2)) with p = k / (n + 1)
    if m == 0:
        return p, 0.0
    return p, p * (1.0 - p) / m + (1.0 - 1.0 / m) * var_c


def mondrian_coverage_moments(
    cal_labels: np.ndarray, test_labels: np.ndarray, alpha: float, randomized: bool
) -> tuple[float, float]:
    """Mean and variance of one split's coverage when each class is calibrated on its own rows:
    the classes' coverages are independent given the counts, weighted by the test rows."""
    m = test_labels.shape[0]
    mean = variance = 0.0
    for c in np.unique(test_labels):
        m_c = int(np.sum(test_labels == c))
        n_c = int(np.sum(cal_labels == c))
        p_c, var_c = split_coverage_moments(n_c, m_c, alpha, randomized)
        mean += m_c / m * p_c
        variance += (m_c / m) ** 2 * var_c
    return mean, variance


def theory_interval(means: list[float], variances: list[float]) -> tuple[float, float, float]:
    """Expected mean coverage over independent splits and its ``Z_THEORY``-sigma interval."""
    expected = float(np.mean(means))
    sd = float(np.sqrt(np.sum(variances)) / len(variances))
    return expected, expected - Z_THEORY * sd, min(expected + Z_THEORY * sd, 1.0)


def floor_interval(n_points: int, alpha: float) -> float:
    """Lowest mean coverage over ``n_points`` rows that the ``1 - 2 alpha`` floor allows, at
    ``Z_THEORY`` binomial standard deviations."""
    floor = 1.0 - 2.0 * alpha
    return floor - Z_THEORY * float(np.sqrt(floor * (1.0 - floor) / n_points))


# -- one row of the table -------------------------------------------------------------------
class Row:
    def __init__(self, data: str, method: str, model: str) -> None:
        self.data, self.method, self.model = data, method, model
        self.coverages: list[float] = []
        self.sizes: list[float] = []
        self.per_class: list[np.ndarray] = []
        self.n_cal = self.n_test = 0
        self.seconds = 0.0
        # Per split: the expected coverage and its variance (split rules), or nothing for the
        # methods that promise only the 1 - 2 alpha floor.
        self.expected: list[float] = []
        self.variances: list[float] = []

    def add_theory(self, mean: float, variance: float) -> None:
        self.expected.append(mean)
        self.variances.append(variance)

    def theory(self) -> tuple[str, str, bool]:
        """Expected coverage, its interval, and whether the mean coverage lies inside."""
        mean = float(np.mean(self.coverages))
        if self.expected:
            expected, low, high = theory_interval(self.expected, self.variances)
            return f"{expected:.4f}", f"{low:.4f} - {high:.4f}", low <= mean <= high
        low = floor_interval(len(self.coverages) * self.n_test, ALPHA)
        return f">= {1 - 2 * ALPHA:.2f}", f">= {low:.4f}", mean >= low

    def markdown(self) -> str:
        c = np.array(self.coverages)
        mean, se = c.mean(), c.std(ddof=1) / np.sqrt(len(c))
        ok = "yes" if 0.89 <= mean <= 0.92 else "**no**"
        per_class = ""
        if self.per_class:
            by_class = np.nanmean(np.array(self.per_class), axis=0)
            per_class = f"{by_class.min():.4f} - {by_class.max():.4f}"
        expected, interval, inside = self.theory()
        return (
            f"| {self.data} | {self.method} | {self.model} | {self.n_cal} | {self.n_test} | "
            f"{len(c)} | {mean:.4f} | {se:.4f} | {expected} | {interval} | "
            f"{'yes' if inside else '**no**'} | {per_class} | {np.mean(self.sizes):.3f} | {ok} | "
            f"{self.seconds:.0f} |"
        )


def _halves(rng: np.random.Generator, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    shuffled = rng.permutation(rows)
    return shuffled[: len(rows) // 2], shuffled[len(rows) // 2 :]


def _fixed_training(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.random.default_rng(seed).permutation(n)
    cut = int(0.4 * n)
    return rows[:cut], rows[cut:]


# -- regression -----------------------------------------------------------------------------
def study_regression(name: str, X, y, n_splits: int, rows: list[Row]) -> None:
    train, pool = _fixed_training(len(y), 0)
    point = booster_regressor().fit(X[train], y[train])
    # The difficulty model learns |residual| from out-of-fold residuals of the training rows,
    # not from the in-sample ones that boosting shrinks towards zero.
    oof = tb.model_selection.oof_predict(
        booster_regressor(), X[train], y[train], method="predict", random_state=0
    )
    difficulty = booster_regressor().fit(X[train], np.abs(y[train] - oof))
    quantiles = booster_regressor(
        objective="reg:quantileerror", quantile_alpha=[ALPHA / 2, 1 - ALPHA / 2]
    ).fit(X[train], y[train])
    prefit = {
        "split": ("treeboost", dict(estimator=point)),
        "split, normalised": (
            "treeboost + treeboost difficulty",
            dict(estimator=point, difficulty_estimator=difficulty),
        ),
        "cqr": ("treeboost reg:quantileerror [0.05, 0.95]", dict(estimator=quantiles)),
    }
    rng = np.random.default_rng(1)
    for method, (model_name, kwargs) in prefit.items():
        row = Row(name, method, model_name)
        start = time.perf_counter()
        for _ in range(n_splits):
            cal, test = _halves(rng, pool)
            model = tb.conformal.ConformalRegressor(
                method="cqr" if method == "cqr" else "split", cv="prefit", **kwargs
            ).fit(X[cal], y[cal])
            intervals = model.predict_interval(X[test], ALPHA)
            row.coverages.append(coverage(y[test], intervals))
            row.sizes.append(mean_width(intervals))
            row.add_theory(*split_coverage_moments(len(cal), len(test), ALPHA))
        row.n_cal, row.n_test, row.seconds = len(cal), len(test), time.perf_counter() - start
        rows.append(row)
        print(row.markdown(), flush=True)
    # Refitting methods: a fresh random training/test split every time, with 200 training rows
    # (CV+) or 100 (jackknife+, one fit per training row) to keep 200 splits affordable.
    refitting = (
        ("cv_plus (5 folds)", "ridge", lambda: Ridge(alpha=1e-3), 200, 200),
        (
            "cv_plus (5 folds)",
            "treeboost, 30 rounds",
            lambda: tb.TreeBoostRegressor(
                n_estimators=30, max_depth=3, learning_rate=0.2, n_jobs=1, **_XGB_SHAPE
            ),
            200,
            200,
        ),
        ("jackknife_plus", "ridge", lambda: Ridge(alpha=1e-3), 100, 300),
    )
    for method, model_name, make, n_train, n_test in refitting:
        row = Row(name, method, model_name)
        start = time.perf_counter()
        for _ in range(n_splits):
            chosen = rng.choice(len(y), n_train + n_test, replace=False)
            fit_rows, test = chosen[:n_train], chosen[n_train:]
            name_of_method = method.split(" ")[0]
            model = tb.conformal.ConformalRegressor(
                make(),
                method=name_of_method,
                cv=5 if name_of_method == "cv_plus" else None,
                random_state=int(rng.integers(1e9)),
            ).fit(X[fit_rows], y[fit_rows])
            intervals = model.predict_interval(X[test], ALPHA)
            row.coverages.append(coverage(y[test], intervals))
            row.sizes.append(mean_width(intervals))
        row.n_cal, row.n_test, row.seconds = n_train, n_test, time.perf_counter() - start
        rows.append(row)
        print(row.markdown(), flush=True)


# -- classification -------------------------------------------------------------------------
def study_classification(name: str, X, y, n_splits: int, rows: list[Row]) -> None:
    train, pool = _fixed_training(len(y), 0)
    model = booster_classifier().fit(X[train], y[train])
    rng = np.random.default_rng(2)
    variants = [
        (score, mondrian, randomized)
        for score in ("lac", "aps", "raps")
        for mondrian in (False, True)
        for randomized in ((False, True) if score == "lac" else (True,))
    ]
    for score, mondrian, randomized in variants:
        label = score + (", mondrian" if mondrian else "") + (", smoothed p" if randomized else "")
        row = Row(name, label, "treeboost")
        start = time.perf_counter()
        for _ in range(n_splits):
            cal, test = _halves(rng, pool)
            clf = tb.conformal.ConformalClassifier(
                model,
                conformity_score=score,
                mondrian=mondrian,
                randomized=randomized,
                cv="prefit",
                random_state=int(rng.integers(1e9)),
            ).fit(X[cal], y[cal])
            sets = clf.predict_set(X[test], ALPHA)
            row.coverages.append(coverage(y[test], sets))
            row.sizes.append(mean_set_size(sets))
            if mondrian:
                row.per_class.append(class_coverage(y[test], sets))
                row.add_theory(*mondrian_coverage_moments(y[cal], y[test], ALPHA, randomized))
            else:
                row.add_theory(*split_coverage_moments(len(cal), len(test), ALPHA, randomized))
        row.n_cal, row.n_test, row.seconds = len(cal), len(test), time.perf_counter() - start
        rows.append(row)
        print(row.markdown(), flush=True)
    if len(y) > 2000:
        return  # cross-conformal refits k models per split: small sets only
    scaled = StandardScaler().fit_transform(X)
    row = Row(name, "lac, cross-conformal (5 folds)", "logistic regression")
    start = time.perf_counter()
    for _ in range(n_splits):
        fit_rows, test = _halves(rng, np.arange(len(y)))
        clf = tb.conformal.ConformalClassifier(
            LogisticRegression(C=0.1, max_iter=500),
            conformity_score="lac",
            cv=5,
            random_state=int(rng.integers(1e9)),
        ).fit(scaled[fit_rows], y[fit_rows])
        sets = clf.predict_set(scaled[test], ALPHA)
        row.coverages.append(coverage(y[test], sets))
        row.sizes.append(mean_set_size(sets))
    row.n_cal, row.n_test, row.seconds = len(fit_rows), len(test), time.perf_counter() - start
    rows.append(row)
    print(row.markdown(), flush=True)


# -- covariate shift and regime change -------------------------------------------------------
# The test population is x ~ N(1, 1) against N(0, 1) for calibration, where y = 2x + noise whose
# spread grows with |x|: the likelihood ratio exp(x - 1/2) is log-linear, so a logistic domain
# classifier can learn it, and the shifted rows are noisier than the calibration ones.
COVARIATE_SHIFT = 1.0


def draw_covariate_shift(
    rng: np.random.Generator, n: int, shift: float
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows of ``x ~ N(shift, 1)``, ``y = 2 x + (0.2 + |x|) e``, ``e ~ N(0, 1)``."""
    x = rng.normal(shift, 1.0, size=(n, 1))
    return x, 2.0 * x[:, 0] + rng.normal(size=n) * (0.2 + np.abs(x[:, 0]))


def regime_change_series(
    seed: int, n_cal: int = 500, n_steps: int = 6000, change: int = 1500
) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and forecasts of an AR(1) series ``y_t = 0.8 y_{t-1} + s_t e_t`` whose noise
    scale ``s_t`` jumps from 1 to 2.5 at step ``n_cal + change``; the forecast is the true
    conditional mean ``0.8 y_{t-1}``, so every miss comes from the interval's width."""
    rng = np.random.default_rng(seed)
    n = n_cal + n_steps + 1
    scale = np.where(np.arange(n) < n_cal + change, 1.0, 2.5)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.8 * y[t - 1] + scale[t] * rng.normal()
    return y[1:], 0.8 * y[:-1]


def _interval_summary(intervals: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Coverage, median width and the fraction of unbounded intervals."""
    width = intervals[:, 1] - intervals[:, 0]
    covered = (intervals[:, 0] <= y) & (y <= intervals[:, 1])
    return float(covered.mean()), float(np.median(width)), float(np.mean(~np.isfinite(width)))


def shift_table(n_repeats: int) -> list[str]:
    """Plain and weighted split conformal on the covariate shift above: fresh calibration
    (1000 rows) and test (50 rows) draws per repeat, one model fitted beforehand."""
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(0)
    model = LinearRegression().fit(*draw_covariate_shift(rng, 500, 0.0))
    n_cal, n_test = 1000, 50
    methods = {
        "split (ConformalRegressor)": [],
        "weighted, logistic domain classifier": [],
        "weighted, boosted domain classifier (max_weight 20)": [],
        "weighted, true likelihood ratio": [],
    }
    for _ in range(n_repeats):
        X_cal, y_cal = draw_covariate_shift(rng, n_cal, 0.0)
        X_test, y_test = draw_covariate_shift(rng, n_test, COVARIATE_SHIFT)
        plain = tb.conformal.ConformalRegressor(model, cv="prefit").fit(X_cal, y_cal)
        logistic = tb.conformal.WeightedConformalRegressor(model).fit(X_cal, y_cal)
        boosted = tb.conformal.WeightedConformalRegressor(
            model,
            domain_classifier=tb.TreeBoostClassifier(n_estimators=30, max_depth=2, n_jobs=1),
            max_weight=20.0,
        ).fit(X_cal, y_cal)
        true = tb.conformal.WeightedConformalRegressor(model).fit(
            X_cal, y_cal, calibration_weights=np.exp(COVARIATE_SHIFT * X_cal[:, 0])
        )
        intervals = (
            plain.predict_interval(X_test, ALPHA),
            logistic.fit_shift(X_test).predict_interval(X_test, ALPHA),
            boosted.fit_shift(X_test).predict_interval(X_test, ALPHA),
            true.predict_interval(
                X_test, ALPHA, test_weights=np.exp(COVARIATE_SHIFT * X_test[:, 0])
            ),
        )
        for summaries, interval in zip(methods.values(), intervals):
            summaries.append(_interval_summary(interval, y_test))
    n_points = n_repeats * n_test
    half = Z_THEORY * np.sqrt(ALPHA * (1 - ALPHA) / n_points)
    lines = [
        f"{n_repeats} repeats of {n_cal} calibration and {n_test} test rows; 99.7% binomial "
        f"interval around 0.9 over {n_points} test rows: {1 - ALPHA - half:.4f} - "
        f"{1 - ALPHA + half:.4f}.",
        "",
        "| method | coverage | in interval | median width | unbounded intervals |",
        "| :--- | ---: | :--- | ---: | ---: |",
    ]
    for name, summaries in methods.items():
        cov, width, unbounded = np.mean(np.array(summaries), axis=0)
        inside = "yes" if abs(cov - (1 - ALPHA)) <= half else "**no**"
        lines.append(f"| {name} | {cov:.4f} | {inside} | {width:.3f} | {unbounded:.2%} |")
    print("\n".join(lines), flush=True)
    return lines


def regime_table(seeds: int = 3) -> list[str]:
    """Split conformal against adaptive conformal inference on the regime change above."""
    from treeboost.uncertainty._quantile import conformal_quantile

    n_cal, change = 500, 1500
    lines = [
        "| seed | method | coverage before | coverage after | coverage, all | ACI bound on "
        "abs(miss rate - alpha) | median width before | median width after | unbounded |",
        "| ---: | :--- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for seed in range(seeds):
        y, forecast = regime_change_series(seed, n_cal=n_cal, change=change)
        cal, online = slice(0, n_cal), slice(n_cal, None)
        q = conformal_quantile(np.abs(y[cal] - forecast[cal]), ALPHA)
        split = np.column_stack([forecast[online] - q, forecast[online] + q])
        runs = {"split, calibrated before the change": (split, "")}
        for gamma, window in ((0.005, None), (0.02, None), (0.02, 500)):
            aci = tb.conformal.AdaptiveConformal(ALPHA, gamma, window=window)
            intervals = aci.fit(y[cal], forecast[cal]).run(forecast[online], y[online])
            bound = tb.conformal.aci_coverage_bound(ALPHA, gamma, intervals.shape[0])
            kept = "all scores" if window is None else f"window {window}"
            label = f"ACI, gamma {gamma}, {kept}"
            runs[label] = (intervals, f"{bound:.4f}")
        for label, (intervals, bound) in runs.items():
            before = _interval_summary(intervals[:change], y[online][:change])
            after = _interval_summary(intervals[change:], y[online][change:])
            overall = _interval_summary(intervals, y[online])
            lines.append(
                f"| {seed} | {label} | {before[0]:.4f} | {after[0]:.4f} | {overall[0]:.4f} | "
                f"{bound} | {before[1]:.2f} | {after[1]:.2f} | {overall[2]:.2%} |"
            )
    print("\n".join(lines), flush=True)
    return lines


# -- calibration ----------------------------------------------------------------------------
def calibration_table() -> list[str]:
    from sklearn.datasets import make_classification

    sets = {
        "make_classification (flip_y=0.15)": make_classification(
            n_samples=6000, n_features=10, n_informative=4, flip_y=0.15, random_state=0
        )
    }
    higgs = _shared("binary_classification", "binary")
    if higgs is not None:
        sets["higgs sample (shared)"] = (higgs[0], higgs[1].astype(int))
    lines = [
        "| data | model | ACE | ECE | log loss | Brier |",
        "| :--- | :--- | ---: | ---: | ---: | ---: |",
    ]
    for name, (X, y) in sets.items():
        rows = np.random.default_rng(0).permutation(len(y))
        third = len(y) // 3
        train, cal, test = rows[:third], rows[third : 2 * third], rows[2 * third :]
        overfit = tb.TreeBoostClassifier(
            n_estimators=300, learning_rate=1.0, max_depth=6, reg_lambda=0.0, n_jobs=1,
            **_XGB_SHAPE,
        ).fit(X[train], y[train])
        models = {"boosted, overfitted (300 rounds, lr 1, depth 6, lambda 0)": overfit}
        for method in ("sigmoid", "isotonic", "venn_abers"):
            models[f"+ {method} (prefit)"] = tb.calibration.CalibratedClassifier(
                overfit, method=method, cv="prefit"
            ).fit(X[cal], y[cal])
        for label, model in models.items():
            p = model.predict_proba(X[test])[:, 1]
            lines.append(
                f"| {name} | {label} | {ace(y[test], p):.4f} | {ece(y[test], p):.4f} | "
                f"{log_loss(y[test], p):.4f} | {brier_score(y[test], p):.4f} |"
            )
        print("\n".join(lines[-4:]), flush=True)
    return lines


def loo_timing() -> list[str]:
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:300], y[:300]
    lines = [
        "| rows | model | n_jobs | seconds | AUROC (LOO) |",
        "| ---: | :--- | ---: | ---: | ---: |",
    ]
    model = tb.TreeBoostClassifier(n_estimators=50, max_depth=3, n_jobs=1, learning_rate=0.3,
                                   **_XGB_SHAPE)
    for n_jobs in (1, 2):
        start = time.perf_counter()
        proba = tb.model_selection.loo_predict(model, X, y, n_jobs=n_jobs)
        seconds = time.perf_counter() - start
        lines.append(
            f"| 300 | TreeBoostClassifier(50 rounds, depth 3) | {n_jobs} | {seconds:.1f} | "
            f"{tb.metrics.roc_auc(y, proba[:, 1]):.4f} |"
        )
    return lines


def venn_abers_timing() -> list[str]:
    from treeboost.calibration import VennAbers

    lines = ["| calibration rows | fit seconds |", "| ---: | ---: |"]
    rng = np.random.default_rng(0)
    for n in (1000, 10000):
        s = rng.random(n)
        labels = (rng.random(n) < s).astype(float)
        start = time.perf_counter()
        VennAbers().fit(s, labels)
        lines.append(f"| {n} | {time.perf_counter() - start:.3f} |")
    return lines


_SECTIONS = ("regression", "classification", "shift", "calibration", "timing")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.coverage.run", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--splits", type=int, default=200)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=_SECTIONS,
        default=_SECTIONS,
        help="sections to run (all by default)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows: list[Row] = []
    with threadpool_limits(1):
        if "regression" in args.only:
            for name, (X, y) in regression_sets().items():
                study_regression(name, X, y, args.splits, rows)
        if "classification" in args.only:
            for name, (X, y) in classification_sets().items():
                study_classification(name, X, y, args.splits, rows)
        shift = shift_table(args.splits) if "shift" in args.only else []
        regime = regime_table() if "shift" in args.only else []
        calibration = calibration_table() if "calibration" in args.only else []
        timing = loo_timing() + [""] + venn_abers_timing() if "timing" in args.only else []
    header = (
        "| data | method | model | n_cal (or n_train) | n_test | splits | mean coverage | "
        "s.e. | expected coverage | 99.7% interval | in interval | "
        "per-class mean coverage (min - max) | mean width / set size | in [0.89, 0.92] | "
        "seconds |\n"
        "| :--- | :--- | :--- | ---: | ---: | ---: | ---: | ---: | ---: | :--- | :--- | :--- | "
        "---: | :--- | ---: |"
    )
    command = f"python -m benchmarks.coverage.run --splits {args.splits}"
    if len(args.only) < len(_SECTIONS):
        command += " --only " + " ".join(args.only)
    text = [
        "# Coverage and calibration study",
        "",
        f"Written by `{command}` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()} "
        f"({platform.python_version()}), in {time.perf_counter() - started:.0f} s.",
        "",
        "## Coverage at alpha = 0.1",
        "",
        (__doc__ or "").split("\n\n", 2)[2].strip(),
        "",
        header,
        *[row.markdown() for row in rows],
        "",
        "## Calibration of a deliberately overfitted boosted model",
        "",
        'A third of the rows trains, a third calibrates (`cv="prefit"`), a third tests. ACE is '
        "Nixon et al.'s adaptive calibration error (15 equal-mass bins per class, unweighted "
        "mean over classes and bins); ECE uses 15 equal-width bins.",
        "",
        *calibration,
    ]
    if shift:
        text += [
            "",
            "## Covariate shift: plain against weighted split conformal",
            "",
            "x ~ N(0, 1) where the model is fitted and calibrated, N(1, 1) where it is tested; "
            "y = 2x + (0.2 + |x|) e. The noise grows with |x|, so the shifted rows are harder "
            "than the calibration ones. Weighted split conformal (Tibshirani et al. 2019) with "
            "the likelihood ratio estimated from the unlabelled test covariates, or given.",
            "",
            *shift,
            "",
            "## Regime change: split conformal against adaptive conformal inference",
            "",
            "AR(1) series y_t = 0.8 y_(t-1) + s_t e_t forecast by its true conditional mean; "
            "500 calibration steps, then 6000 online steps with the noise scale s_t jumping "
            "from 1 to 2.5 after 1500 of them. Split conformal keeps the threshold of the "
            "calibration block; ACI (Gibbs and Candes 2021) updates its level after every "
            "outcome. The bound is Proposition 1's, (max(alpha, 1 - alpha) + gamma) / "
            "(gamma T), over all T = 6000 steps.",
            "",
            *regime,
        ]
    if timing:
        text += ["", "## Timing", "", *timing]
    args.output.write_text("\n".join(text) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
