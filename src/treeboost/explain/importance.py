"""Permutation importance (per feature or per group) and a comparison of importance measures.

``permutation_importance`` shuffles one feature (or all columns of a group, by the same row
order) at a time and records how much the score drops. A Booster re-walks only the trees that
split on the shuffled unit (``_tree_subsets.py``); any other model gets all shuffled copies of
a repeat stacked and predicted in one call (``_permute.py``). No model is refitted.

``compare_importances`` puts mean |SHAP|, total gain and permutation importance side by side and
reports how well their rankings agree (Spearman's rho and Kendall's tau).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._groups import (
    check_sample_weight,
    check_target,
    feature_names_of,
    n_rows_cols,
    resolve_units,
)
from ._permute import stack_permuted, units_per_batch
from ._scoring import BoosterModel, as_model, check_labels, get_scorer, numba_threads
from ._tree_subsets import TreeSubsetMargins, fits_in_memory

__all__ = [
    "ImportanceComparison",
    "PermutationImportance",
    "compare_importances",
    "permutation_importance",
]

METHODS = ("shap", "gain", "permutation")

# Rows of one prediction call below which the Booster path predicts on a single thread.
_ROWS_PER_THREAD = 10_000


@dataclass
class PermutationImportance:
    """Result of :func:`permutation_importance`, one entry per feature or group.

    Attributes
    ----------
    names : list of str
        Features, or groups followed by the ungrouped features.
    importances : ndarray of shape (n_units, n_repeats)
        Baseline score minus the score with the unit permuted, per repeat. Positive means the
        model needs the unit.
    importances_mean, importances_std : ndarray of shape (n_units,)
        Mean and sample standard deviation (``ddof=1``; 0 for a single repeat) over repeats.
    ci_low, ci_high : ndarray of shape (n_units,)
        Two-sided Student t interval of the mean at ``confidence``:
        ``mean -/+ t(1 - (1 - confidence) / 2, n_repeats - 1) * std / sqrt(n_repeats)``.
        It treats the repeats as independent draws of the permutation, so it covers the
        randomness of shuffling given this fitted model and this data, not the variation of
        refitting on new data. NaN for a single repeat.
    baseline_score : float
        Score on the unpermuted data (greater is better).
    scoring : str
    confidence : float
    groups : dict of str to list of str
        Member features of every unit.
    """

    names: list[str]
    importances: np.ndarray
    importances_mean: np.ndarray
    importances_std: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    baseline_score: float
    scoring: str
    confidence: float
    groups: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, dict[str, float]]:
        """``{name: {"mean", "std", "ci_low", "ci_high"}}`` in unit order."""
        return {
            name: {
                "mean": float(self.importances_mean[i]),
                "std": float(self.importances_std[i]),
                "ci_low": float(self.ci_low[i]),
                "ci_high": float(self.ci_high[i]),
            }
            for i, name in enumerate(self.names)
        }

    def to_frame(self):
        """pandas DataFrame indexed by unit, columns mean, std, ci_low, ci_high (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_dict(self.to_dict(), orient="index")

    def ranked(self) -> list[str]:
        """Unit names, most important first (ties keep unit order)."""
        order = np.argsort(-self.importances_mean, kind="stable")
        return [self.names[i] for i in order]


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}={value!r} is not valid; valid: an integer >= {minimum}")
    if value < minimum:
        raise ValueError(f"{name}={value!r} is not valid; valid: an integer >= {minimum}")
    return int(value)


def _check_confidence(confidence: Any) -> float:
    if (
        isinstance(confidence, (bool, np.bool_))
        or not isinstance(confidence, numbers.Real)
        or not 0.0 < float(confidence) < 1.0
    ):
        raise ValueError(f"confidence={confidence!r} is not valid; valid: a number in (0, 1)")
    return float(confidence)


def make_rng(random_state: Any) -> np.random.Generator:
    """A Generator from None, an int seed, a Generator or a RandomState."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if random_state is None:
        return np.random.default_rng()
    if (
        isinstance(random_state, numbers.Integral)
        and not isinstance(random_state, (bool, np.bool_))
        and random_state >= 0
    ):
        return np.random.default_rng(int(random_state))
    raise ValueError(
        f"random_state={random_state!r} is not valid; valid: None, an integer >= 0, a "
        "numpy Generator or RandomState"
    )


def _t_interval(importances: np.ndarray, confidence: float):
    from scipy.stats import t

    n_repeats = importances.shape[1]
    mean = importances.mean(axis=1)
    if n_repeats == 1:
        nan = np.full_like(mean, np.nan)
        return mean, np.zeros_like(mean), nan, nan.copy()
    std = importances.std(axis=1, ddof=1)
    half = t.ppf(0.5 + confidence / 2.0, n_repeats - 1) * std / np.sqrt(n_repeats)
    return mean, std, mean - half, mean + half


def _prediction_input(X: Any, model) -> Any:
    """X as the model predicts it: a Booster gets the float matrix, after a check that a
    DataFrame's columns are the model's features."""
    if not isinstance(model, BoosterModel):
        return X
    from ..data.adapters import to_float_matrix

    matrix, names, _ = to_float_matrix(X)
    if matrix.shape[1] != len(model.feature_names):
        raise ValueError(
            f"X has {matrix.shape[1]} columns; the Booster expects {len(model.feature_names)}"
        )
    if names is not None and names != model.feature_names:
        raise ValueError(
            f"X's columns {names[:5]} differ from the Booster's features "
            f"{model.feature_names[:5]}; pass the columns the model was trained on, in order"
        )
    return matrix


def permutation_importance(
    model: Any,
    X: Any,
    y: Any,
    scoring: Any = None,
    n_repeats: int = 5,
    random_state: Any = None,
    groups: Mapping[str, Sequence[Any]] | None = None,
    confidence: float = 0.95,
    n_jobs: int | None = None,
    sample_weight: Any = None,
) -> PermutationImportance:
    """Drop in score when a feature, or a group of features, is randomly shuffled.

    Parameters
    ----------
    model : Booster or fitted scikit-learn estimator
        A treeboost estimator, or any other fitted estimator with ``predict``.
    X : array-like or pandas.DataFrame of shape (n_rows, n_features)
    y : array-like of shape (n_rows,)
        Targets; for a classification Booster the encoded classes ``0 .. k - 1``.
    scoring : str, callable or scikit-learn scorer, optional
        A metric name, computed from one batched prediction per repeat: ``"r2"``,
        ``"neg_mean_squared_error"``, ``"neg_root_mean_squared_error"``,
        ``"neg_mean_absolute_error"``, ``"explained_variance"``, ``"accuracy"``,
        ``"balanced_accuracy"``, ``"roc_auc"``, ``"average_precision"``, ``"neg_log_loss"``,
        ``"neg_brier_score"``. A callable ``metric(y, prediction)`` (greater is better) gets
        what the model's ``predict`` returns (for a classification Booster, probabilities).
        For scikit-learn estimators also any ``sklearn.metrics.get_scorer`` name or a
        ``scorer(estimator, X, y)``, called once per feature and repeat. Default:
        ``"neg_log_loss"`` for classifiers with ``predict_proba``, ``"accuracy"`` for other
        classifiers, ``"r2"`` for regressors.
    n_repeats : int, default=5
        Shuffles per unit.
    random_state : None, int, numpy Generator or RandomState
        Seed of the shuffles; an int gives the same result on every call.
    groups : dict of str to list of (str or int), optional
        Named sets of columns permuted together by one shared row order, e.g.
        ``{"amygdala": ["amygdala_left", "amygdala_right"]}``. Ungrouped features are reported
        one by one after the groups. Groups must not overlap.
    confidence : float, default=0.95
        Level of the t-interval reported in ``ci_low`` and ``ci_high``.
    n_jobs : int, optional
        Threads of treeboost's prediction kernels (None: every core). A Booster predicts one
        shuffled copy at a time, single-threaded below 10,000 rows, where starting threads
        would cost more than it saves.
    sample_weight : array-like of shape (n_rows,), optional
        Row weights of the score.

    Returns
    -------
    PermutationImportance
    """
    wrapped = as_model(model)
    n_rows, _ = n_rows_cols(X)
    names = feature_names_of(X, wrapped.feature_names)
    units = resolve_units(names, groups)
    target = check_target(y, n_rows)
    weight = check_sample_weight(sample_weight, n_rows)
    n_repeats = _check_int("n_repeats", n_repeats, 1)
    confidence = _check_confidence(confidence)
    rng = make_rng(random_state)
    scorer = get_scorer(scoring, wrapped)
    check_labels(target, wrapped)
    data = _prediction_input(X, wrapped)

    n_units = len(units)
    batch = units_per_batch(n_rows, data.shape[1], n_units) if scorer.batchable else 1
    importances = np.empty((n_units, n_repeats), dtype=np.float64)
    if (
        isinstance(wrapped, BoosterModel)
        and scorer.batchable
        and fits_in_memory(wrapped.booster, n_rows)
    ):
        # Each call predicts one copy of X: below _ROWS_PER_THREAD rows, starting threads
        # costs more than it saves (and much more on a busy machine).
        threads = 1 if n_rows < _ROWS_PER_THREAD else n_jobs
        with numba_threads(threads):
            baseline = _booster_importances(
                wrapped, scorer, data, target, weight, units.columns, rng, importances
            )
    else:
        with numba_threads(n_jobs):
            baseline = _stacked_importances(
                wrapped, scorer, data, target, weight, units.columns, rng, importances, batch
            )
    mean, std, low, high = _t_interval(importances, confidence)
    return PermutationImportance(
        names=list(units.names),
        importances=importances,
        importances_mean=mean,
        importances_std=std,
        ci_low=low,
        ci_high=high,
        baseline_score=float(baseline),
        scoring=scorer.name,
        confidence=confidence,
        groups=units.groups,
    )


def _booster_importances(model, scorer, data, target, weight, unit_columns, rng, out) -> float:
    """Fill ``out`` (units x repeats) for a Booster: one permuted copy at a time, predicted
    with only the trees that split on the permuted unit (see _tree_subsets.py)."""
    margins = TreeSubsetMargins(model.booster, data, unit_columns)
    classes = model.classes_

    def score(margin):
        response = model.response_from_margin(margin, scorer.response)
        return scorer.score(target, response, weight, classes)

    baseline = score(margins.margin)
    n_rows = data.shape[0]
    shuffled = np.array(data, copy=True)
    for repeat in range(out.shape[1]):
        orders = [rng.permutation(n_rows) for _ in unit_columns]
        for unit, (columns, order) in enumerate(zip(unit_columns, orders)):
            shuffled[:, columns] = data[order[:, None], columns]
            out[unit, repeat] = baseline - score(margins.permuted_margin(unit, shuffled))
            shuffled[:, columns] = data[:, columns]
    return baseline


def _stacked_importances(
    model, scorer, data, target, weight, unit_columns, rng, out, batch
) -> float:
    """Fill ``out`` (units x repeats) for any model: the permuted copies of a repeat are
    stacked and predicted in as few calls as the memory budget allows."""
    n_rows, n_units = data.shape[0], len(unit_columns)
    baseline = scorer.score_model(model, data, target, weight)
    for repeat in range(out.shape[1]):
        orders = [rng.permutation(n_rows) for _ in range(n_units)]
        for start in range(0, n_units, batch):
            members = range(start, min(n_units, start + batch))
            stacked = stack_permuted(
                data, [unit_columns[u] for u in members], [orders[u] for u in members]
            )
            if scorer.batchable:
                response = scorer.response_of(model, stacked)
                for block, u in enumerate(members):
                    rows = slice(block * n_rows, (block + 1) * n_rows)
                    score = scorer.score(target, response[rows], weight, model.classes_)
                    out[u, repeat] = baseline - score
            else:
                out[start, repeat] = baseline - scorer.score_model(model, stacked, target, weight)
    return baseline


# -- comparison of importance measures --------------------------------------------------------


@dataclass
class ImportanceComparison:
    """Result of :func:`compare_importances`.

    Attributes
    ----------
    names : list of str
        Features, or groups followed by the ungrouped features.
    methods : list of str
        Columns of ``values``, in the requested order.
    values : ndarray of shape (n_units, n_methods)
        ``shap``: mean over rows of |sum of the unit's SHAP values| (summed over classes for
        multiclass models); ``gain``: total gain of the unit's splits; ``permutation``: mean
        drop in score.
    spearman, kendall : ndarray of shape (n_methods, n_methods)
        Rank correlations between the methods' columns (1 on the diagonal; NaN when a column
        is constant).
    permutation : PermutationImportance or None
        The full permutation result (intervals, repeats) when it was computed.
    """

    names: list[str]
    methods: list[str]
    values: np.ndarray
    spearman: np.ndarray
    kendall: np.ndarray
    permutation: PermutationImportance | None = None

    def to_dict(self) -> dict[str, dict[str, float]]:
        """``{unit: {method: value}}``."""
        return {
            name: {m: float(self.values[i, j]) for j, m in enumerate(self.methods)}
            for i, name in enumerate(self.names)
        }

    def correlations(self) -> list[dict[str, Any]]:
        """One record per pair of methods: ``method_a``, ``method_b``, ``spearman``,
        ``kendall``."""
        out = []
        for a in range(len(self.methods)):
            for b in range(a + 1, len(self.methods)):
                out.append(
                    {
                        "method_a": self.methods[a],
                        "method_b": self.methods[b],
                        "spearman": float(self.spearman[a, b]),
                        "kendall": float(self.kendall[a, b]),
                    }
                )
        return out

    def to_frame(self):
        """pandas DataFrame of ``values``: one row per unit, one column per method."""
        import pandas as pd

        return pd.DataFrame(self.values, index=self.names, columns=self.methods)

    def correlations_frame(self):
        """pandas DataFrame of :meth:`correlations`."""
        import pandas as pd

        return pd.DataFrame(self.correlations())


def _check_methods(methods: Any) -> list[str]:
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, (Sequence, np.ndarray)) or len(methods) == 0:
        raise ValueError(
            f"methods={methods!r} is not valid; valid: a non-empty subset of {METHODS}"
        )
    out = []
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"methods contains {method!r}; valid methods are {METHODS}")
        if method in out:
            raise ValueError(f"methods contains {method!r} twice")
        out.append(method)
    return out


def _booster_of(model: Any):
    from ..model.booster import Booster

    if isinstance(model, Booster):
        return model
    get_booster = getattr(model, "get_booster", None)
    if get_booster is not None and type(model).__module__.startswith("treeboost"):
        return get_booster()
    return None


def _mean_abs_shap(booster, X: Any, units) -> np.ndarray:
    from ..data.adapters import to_float_matrix

    matrix = to_float_matrix(X)[0]
    contribs = booster.predict(matrix, pred_contribs=True)
    if contribs.ndim == 2:
        contribs = contribs[:, None, :]
    per_feature = contribs[:, :, :-1]  # the last column is the bias
    # Summing within a group before |.| is exact: SHAP values are additive over features.
    per_unit = np.stack([per_feature[:, :, c].sum(axis=2) for c in units.columns], axis=2)
    return np.abs(per_unit).mean(axis=0).sum(axis=0)


def _total_gain(booster, units) -> np.ndarray:
    # Total (not average per split) gain: totals add up over a group's features.
    scores = booster.get_score("total_gain")
    by_column = np.array([scores.get(name, 0.0) for name in booster.feature_names])
    return np.array([by_column[c].sum() for c in units.columns])


def _rank_correlations(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.stats import kendalltau, spearmanr

    n = values.shape[1]
    rho = np.eye(n)
    tau = np.eye(n)
    with warnings.catch_warnings():
        # A constant column has no ranking: scipy warns and returns NaN, which we report.
        warnings.simplefilter("ignore")
        for a in range(n):
            for b in range(a + 1, n):
                rho[a, b] = rho[b, a] = spearmanr(values[:, a], values[:, b])[0]
                tau[a, b] = tau[b, a] = kendalltau(values[:, a], values[:, b])[0]
    return rho, tau


def compare_importances(
    model: Any,
    X: Any,
    y: Any = None,
    scoring: Any = None,
    n_repeats: int = 5,
    random_state: Any = None,
    groups: Mapping[str, Sequence[Any]] | None = None,
    methods: Sequence[str] = METHODS,
    n_jobs: int | None = None,
    sample_weight: Any = None,
) -> ImportanceComparison:
    """Mean |SHAP|, total gain and permutation importance side by side, with rank correlations.

    Parameters
    ----------
    model : Booster, treeboost estimator, or (for ``methods=("permutation",)``) any fitted
        scikit-learn estimator.
    X : array-like or pandas.DataFrame of shape (n_rows, n_features)
        Rows to explain and to permute.
    y : array-like of shape (n_rows,), optional
        Needed for permutation importance.
    scoring, n_repeats, random_state, n_jobs, sample_weight
        As in :func:`permutation_importance`.
    groups : dict of str to list of (str or int), optional
        Units made of several features: SHAP values are summed within a group per row (exact,
        by additivity) before taking |.|; total gains are summed; permutation shuffles the
        group's columns together.
    methods : sequence of {"shap", "gain", "permutation"}
        Which measures to compute, in column order.

    Returns
    -------
    ImportanceComparison
    """
    methods = _check_methods(methods)
    booster = _booster_of(model)
    if booster is None and {"shap", "gain"} & set(methods):
        raise ValueError(
            f"methods {methods} include 'shap' or 'gain', which need a treeboost model (a Booster "
            f"or a TreeBoost estimator); got {type(model).__name__}. Use methods=('permutation',)"
        )
    if "permutation" in methods and y is None:
        raise ValueError("methods include 'permutation', which needs y")
    n_rows, n_cols = n_rows_cols(X)
    if booster is not None and n_cols != booster.n_features:
        raise ValueError(f"X has {n_cols} columns; the model expects {booster.n_features}")
    model_names = booster.feature_names if booster is not None else None
    units = resolve_units(feature_names_of(X, model_names), groups)

    columns = []
    permutation = None
    for method in methods:
        if method == "shap":
            with numba_threads(n_jobs):
                columns.append(_mean_abs_shap(booster, X, units))
        elif method == "gain":
            columns.append(_total_gain(booster, units))
        else:
            permutation = permutation_importance(
                model,
                X,
                y,
                scoring=scoring,
                n_repeats=n_repeats,
                random_state=random_state,
                groups=groups,
                n_jobs=n_jobs,
                sample_weight=sample_weight,
            )
            columns.append(permutation.importances_mean)
    values = np.column_stack(columns)
    spearman, kendall = _rank_correlations(values)
    return ImportanceComparison(
        names=list(units.names),
        methods=methods,
        values=values,
        spearman=spearman,
        kendall=kendall,
        permutation=permutation,
    )
