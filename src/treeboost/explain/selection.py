"""Greedy forward feature selection with cross-validated scores at every step.

Each step fits the model once per fold for every remaining candidate (a feature, or a group of
features selected together) added to the features chosen so far, and keeps the candidate with
the best mean score. The whole history is returned, not only the final set.

Speed, for the clinical-table case of a few hundred rows and 100+ candidates:

- treeboost estimators bin each fold's training rows once and cut every candidate's columns
  from those bins (``_fitters.TreeBoostFitter``); other estimators are cloned and fitted;
- ``prefilter=k`` keeps only the ``k`` candidates with the highest total gain (or
  ``feature_importances_``) of one model fitted on every row and feature;
- ``n_jobs`` runs fits in worker processes (joblib). Threads do not help here: on small data a
  fit spends most of its time in the tree grower's Python code, which holds the GIL.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._fitters import EstimatorFitter, TreeBoostFitter, is_treeboost_estimator
from ._groups import check_target, feature_names_of, n_rows_cols, resolve_units
from ._scoring import Scorer, resolve_scorer

__all__ = ["ForwardSelection", "SelectionStep", "forward_selection"]


@dataclass
class SelectionStep:
    """One step of forward selection.

    Attributes
    ----------
    step : int
        0 for the first feature.
    candidates : list of str
        Units tried at this step, each added to the units already selected.
    fold_scores : ndarray of shape (n_candidates, n_folds)
    scores_mean, scores_std : ndarray of shape (n_candidates,)
        Mean and sample standard deviation (``ddof=1``) over folds.
    chosen : str
        The candidate with the best mean score (the first one on ties).
    score_mean, score_std : float
        Its mean and standard deviation over folds.
    improvement : float
        ``score_mean`` minus the previous step's; NaN at step 0.
    accepted : bool
        False when the improvement fell below ``tol``: the candidate was not added and the
        selection stopped.
    """

    step: int
    candidates: list[str]
    fold_scores: np.ndarray
    scores_mean: np.ndarray
    scores_std: np.ndarray
    chosen: str
    score_mean: float
    score_std: float
    improvement: float
    accepted: bool


@dataclass
class ForwardSelection:
    """Result of :func:`forward_selection`.

    Attributes
    ----------
    selected : list of str
        Accepted units (features or groups) in the order they were chosen.
    selected_features : list of str
        The features of those units, in column order.
    support : ndarray of bool, shape (n_features,)
        True for the columns of ``selected_features``.
    history : list of SelectionStep
        Every step that was evaluated, including a final rejected one.
    candidates : list of str
        Units that took part (after ``prefilter``).
    prefilter_importances : dict of str to float or None
        Importance of every unit in the prefilter model, when ``prefilter`` was used.
    scoring : str
    n_folds : int
    groups : dict of str to list of str
        Member features of every unit.
    """

    selected: list[str]
    selected_features: list[str]
    support: np.ndarray
    history: list[SelectionStep]
    candidates: list[str]
    prefilter_importances: dict[str, float] | None
    scoring: str
    n_folds: int
    groups: dict[str, list[str]] = field(default_factory=dict)

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per step: step, chosen, score_mean, score_std, improvement, accepted,
        n_candidates."""
        return [
            {
                "step": s.step,
                "chosen": s.chosen,
                "score_mean": s.score_mean,
                "score_std": s.score_std,
                "improvement": s.improvement,
                "accepted": s.accepted,
                "n_candidates": len(s.candidates),
            }
            for s in self.history
        ]

    def to_frame(self):
        """pandas DataFrame of :meth:`to_records` (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.to_records())


def _check_optional_int(name: str, value: Any, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}={value!r} is not valid; valid: None or an integer >= {minimum}")
    if value < minimum:
        raise ValueError(f"{name}={value!r} is not valid; valid: None or an integer >= {minimum}")
    return int(value)


def _check_tol(tol: Any) -> float | None:
    if tol is None:
        return None
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real) or np.isnan(tol):
        raise ValueError(f"tol={tol!r} is not valid; valid: None or a number")
    return float(tol)


def _n_workers(n_jobs: Any) -> int:
    """joblib's convention: None = 1, -1 = every core, -2 = all but one."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral):
        raise ValueError(f"n_jobs={n_jobs!r} is not valid; valid: None or a non-zero integer")
    if n_jobs == 0:
        raise ValueError("n_jobs=0 is not valid; valid: None or a non-zero integer")
    cores = os.cpu_count() or 1
    return int(n_jobs) if n_jobs > 0 else max(1, cores + 1 + int(n_jobs))


def _make_folds(cv: Any, n_rows: int, y: np.ndarray, classifier: bool, random_state: Any):
    from sklearn.model_selection import KFold, StratifiedKFold, check_cv

    if isinstance(cv, numbers.Integral) and not isinstance(cv, (bool, np.bool_)):
        if not 2 <= cv <= n_rows:
            raise ValueError(f"cv={cv!r} is not valid; valid: an integer from 2 to {n_rows}")
        # Shuffled folds only on request, as in scikit-learn; a seed makes them reproducible.
        shuffle = random_state is not None
        splitter_class = StratifiedKFold if classifier else KFold
        splitter = splitter_class(
            int(cv), shuffle=shuffle, random_state=random_state if shuffle else None
        )
    else:
        try:
            splitter = check_cv(cv, y, classifier=classifier)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"cv={cv!r} is not valid; valid: an integer >= 2, a scikit-learn splitter or "
                f"an iterable of (train, test) index arrays ({exc})"
            ) from None
    folds = [
        (np.asarray(train, dtype=np.int64), np.asarray(test, dtype=np.int64))
        for train, test in splitter.split(np.zeros((n_rows, 1)), y)
    ]
    if len(folds) < 1:
        raise ValueError(f"cv={cv!r} produced no folds")
    return folds


def _score_tasks(fitter, scorer: Scorer, tasks: list[tuple[np.ndarray, int]]) -> list[float]:
    """Fit and score each (columns, fold) task; runs in a worker process when n_jobs > 1."""
    from ._scoring import numba_threads

    scores = []
    with numba_threads(1):
        for columns, fold in tasks:
            model = fitter.fit(columns, fold)
            X_test, y_test = fitter.test_data(columns, fold)
            scores.append(scorer.score_model(model, X_test, y_test, None))
    return scores


def _run_tasks(fitter, scorer: Scorer, tasks: list, n_workers: int) -> np.ndarray:
    if n_workers == 1 or len(tasks) < 2:
        return np.asarray(_score_tasks(fitter, scorer, tasks))
    from joblib import Parallel, delayed

    # A few chunks per worker: balances uneven fits without paying to ship the folds per fit.
    chunks = np.array_split(np.arange(len(tasks)), min(len(tasks), 4 * n_workers))
    results = Parallel(n_jobs=n_workers)(
        delayed(_score_tasks)(fitter, scorer, [tasks[i] for i in chunk]) for chunk in chunks
    )
    return np.asarray([score for chunk in results for score in chunk])


class _EstimatorKind:
    """What the scorer needs to know of an unfitted estimator."""

    def __init__(self, estimator: Any):
        from sklearn.base import is_classifier

        self.is_classifier = is_classifier(estimator)
        self.has_proba = self.is_classifier and hasattr(estimator, "predict_proba")


def forward_selection(
    estimator: Any,
    X: Any,
    y: Any,
    cv: Any = 5,
    scoring: Any = None,
    max_features: int | None = None,
    tol: float | None = 0.0,
    groups: Mapping[str, Sequence[Any]] | None = None,
    prefilter: int | None = None,
    n_jobs: int | None = None,
    random_state: Any = None,
) -> ForwardSelection:
    """Greedy forward selection of features (or groups) by cross-validated score.

    Parameters
    ----------
    estimator : scikit-learn estimator
        Not fitted; cloned for every fit. ``TreeBoostRegressor`` and ``TreeBoostClassifier``
        take a fast path that bins each fold once (every fit then runs on one thread).
    X : array-like or pandas.DataFrame of shape (n_rows, n_features)
    y : array-like of shape (n_rows,)
    cv : int, splitter or iterable of (train, test), default=5
        An int gives ``StratifiedKFold`` for classifiers and ``KFold`` otherwise, shuffled
        with ``random_state`` when that is set. Every candidate sees the same folds.
    scoring : str, callable or scikit-learn scorer, optional
        As in :func:`~treeboost.explain.permutation_importance` (greater is better). A callable
        ``metric(y, prediction)`` receives the estimator's ``predict`` output.
    max_features : int, optional
        Most units to select (groups count as one). Default: all candidates.
    tol : float or None, default=0.0
        Stop, without adding it, when the best candidate improves the mean score by less
        than ``tol``. The first step is always accepted. None: never stop early.
    groups : dict of str to list of (str or int), optional
        Features selected together as one unit; ungrouped features are units of their own.
    prefilter : int, optional
        Keep only this many candidate units: those with the highest total gain (treeboost)
        or ``feature_importances_`` (summed over a group) in one model fitted on all rows and
        features. That model sees every fold's test rows; the selection scores do not.
    n_jobs : int, optional
        Worker processes for the fits (None: 1; -1: every core).
    random_state : int or RandomState, optional
        Shuffles the folds when ``cv`` is an int.

    Returns
    -------
    ForwardSelection
    """
    n_rows, _ = n_rows_cols(X)
    target = check_target(y, n_rows)
    units = resolve_units(feature_names_of(X), groups)
    max_features = _check_optional_int("max_features", max_features, 1)
    prefilter = _check_optional_int("prefilter", prefilter, 1)
    tol = _check_tol(tol)
    n_workers = _n_workers(n_jobs)
    if not hasattr(estimator, "fit"):
        raise TypeError(
            f"estimator must be a scikit-learn estimator, got {type(estimator).__name__}"
        )
    kind = _EstimatorKind(estimator)
    scorer = resolve_scorer(scoring, kind, allow_sklearn=True)
    folds = _make_folds(cv, n_rows, target, kind.is_classifier, random_state)

    # A scikit-learn scorer object calls the estimator itself, so it takes the generic path.
    fast = is_treeboost_estimator(estimator) and scorer.batchable
    fitter_class = TreeBoostFitter if fast else EstimatorFitter
    fitter = fitter_class(estimator, X, target, folds)

    candidates = list(range(len(units)))
    prefilter_importances = None
    if prefilter is not None and prefilter < len(units):
        by_column = fitter.importances_on_all_rows()
        by_unit = np.array([by_column[c].sum() for c in units.columns])
        prefilter_importances = {units.names[u]: float(by_unit[u]) for u in candidates}
        keep = np.argsort(-by_unit, kind="stable")[:prefilter]
        candidates = sorted(int(u) for u in keep)
    limit = len(candidates) if max_features is None else min(max_features, len(candidates))

    selected: list[int] = []
    history: list[SelectionStep] = []
    previous = None
    while len(selected) < limit:
        remaining = [u for u in candidates if u not in selected]
        column_sets = [
            np.sort(np.concatenate([units.columns[u] for u in [*selected, new]]))
            for new in remaining
        ]
        tasks = [(columns, fold) for columns in column_sets for fold in range(len(folds))]
        fold_scores = _run_tasks(fitter, scorer, tasks, n_workers).reshape(
            len(remaining), len(folds)
        )
        means = fold_scores.mean(axis=1)
        if np.all(np.isnan(means)):
            raise ValueError(
                f"every candidate at step {len(history)} scored NaN with scoring="
                f"{scorer.name!r}; check that each test fold can be scored (e.g. holds both "
                "classes for roc_auc)"
            )
        stds = fold_scores.std(axis=1, ddof=1) if len(folds) > 1 else np.zeros_like(means)
        best = int(np.nanargmax(means))
        improvement = float("nan") if previous is None else float(means[best] - previous)
        accepted = previous is None or tol is None or improvement >= tol
        history.append(
            SelectionStep(
                step=len(history),
                candidates=[units.names[u] for u in remaining],
                fold_scores=fold_scores,
                scores_mean=means,
                scores_std=stds,
                chosen=units.names[remaining[best]],
                score_mean=float(means[best]),
                score_std=float(stds[best]),
                improvement=improvement,
                accepted=accepted,
            )
        )
        if not accepted:
            break
        selected.append(remaining[best])
        previous = float(means[best])

    support = np.zeros(len(units.feature_names), dtype=bool)
    for u in selected:
        support[units.columns[u]] = True
    return ForwardSelection(
        selected=[units.names[u] for u in selected],
        selected_features=[units.feature_names[i] for i in np.flatnonzero(support)],
        support=support,
        history=history,
        candidates=[units.names[u] for u in candidates],
        prefilter_importances=prefilter_importances,
        scoring=scorer.name,
        n_folds=len(folds),
        groups={units.names[u]: units.groups[units.names[u]] for u in candidates},
    )
