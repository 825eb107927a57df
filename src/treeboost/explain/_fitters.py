"""Fit a model on a column subset of one cross-validation fold, for forward selection.

``TreeBoostFitter`` is the fast path for treeboost estimators: each fold's training rows are
binned once, for all columns, and every candidate subset takes its columns straight from that
binned matrix. Binning is per column (a feature's bins depend only on its own values), so this
gives exactly the model that fitting the estimator on the fold's column subset would give,
without binning again for each of the hundreds of fits. ``EstimatorFitter`` is the generic path:
``sklearn.base.clone`` and ``fit`` for any scikit-learn estimator.

Both are plain picklable objects, so worker processes can run fits in parallel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._groups import is_dataframe
from ._scoring import BoosterModel, EstimatorModel

__all__ = ["EstimatorFitter", "TreeBoostFitter", "is_treeboost_estimator"]


def is_treeboost_estimator(estimator: Any) -> bool:
    from ..sklearn import TreeBoostClassifier, TreeBoostRegressor

    return type(estimator) in (TreeBoostRegressor, TreeBoostClassifier)


@dataclass
class _Fold:
    X_train: np.ndarray  # raw features of the training rows, every column
    binned_train: np.ndarray  # their bins, every column
    bin_upper_bounds: list[np.ndarray]  # per column, from the training rows only
    label_train: np.ndarray  # float64 targets (class codes for a classifier)
    X_test: np.ndarray
    y_test: np.ndarray  # the user's labels, for scoring


class TreeBoostFitter:
    """Trains a TreeBoostRegressor's / TreeBoostClassifier's model on pre-binned folds.

    Every fit runs single-threaded: parallelism comes from running fits side by side.
    """

    def __init__(self, estimator: Any, X: Any, y: np.ndarray, folds: list[tuple]):
        from sklearn.base import clone

        from ..data.adapters import to_float_matrix
        from ..data.binning import BinMapper
        from ..sklearn import TreeBoostClassifier

        if estimator.early_stopping_rounds is not None:
            raise ValueError(
                f"early_stopping_rounds={estimator.early_stopping_rounds} needs a validation "
                "set, which forward selection does not pass; set early_stopping_rounds=None"
            )
        probe = clone(estimator)
        probe._check_wrapper_params(None)
        self.classes = None
        label = np.asarray(y)
        extra: dict[str, Any] = {}
        if isinstance(estimator, TreeBoostClassifier):
            self.classes, codes = np.unique(label, return_inverse=True)
            probe.n_classes_ = len(self.classes)
            extra = probe._objective_params()
            label = codes
        self.label = np.asarray(label, dtype=np.float64)
        self.params = probe._train_params(extra)
        self.params["n_jobs"] = 1
        self.n_rounds = int(estimator.n_estimators)
        self.max_bin = int(estimator.max_bin)
        self.callbacks = estimator.callbacks
        self.X = to_float_matrix(X)[0]
        self.y = np.asarray(y)
        self.folds = []
        for train_rows, test_rows in folds:
            X_train = np.ascontiguousarray(self.X[train_rows])
            mapper = BinMapper(max_bin=self.max_bin).fit(X_train)
            self.folds.append(
                _Fold(
                    X_train=X_train,
                    binned_train=mapper.transform(X_train),
                    bin_upper_bounds=mapper.bin_upper_bounds_,
                    label_train=self.label[train_rows],
                    X_test=np.ascontiguousarray(self.X[test_rows]),
                    y_test=self.y[test_rows],
                )
            )

    def _dataset(self, fold: _Fold, columns: np.ndarray):
        """A training Dataset for ``columns`` whose bins are cut from the fold's binned matrix."""
        from ..data import Dataset
        from ..data.binning import BinMapper

        data = Dataset(fold.X_train[:, columns], label=fold.label_train, max_bin=self.max_bin)
        # Dataset has no public way to take bins from elsewhere yet: set what its lazy binning
        # would have computed (the same bounds, since bins are found column by column).
        data._bin_mapper = BinMapper.from_dict(
            {
                "max_bin": self.max_bin,
                "bin_upper_bounds": [fold.bin_upper_bounds[c] for c in columns],
            }
        )
        data._binned = np.ascontiguousarray(fold.binned_train[:, columns])
        return data

    def fit(self, columns: np.ndarray, fold_index: int) -> BoosterModel:
        from ..training.engine import train

        data = self._dataset(self.folds[fold_index], columns)
        booster = train(self.params, data, self.n_rounds, callbacks=self.callbacks)
        return BoosterModel(booster, classes=self.classes, like_estimator=True)

    def test_data(self, columns: np.ndarray, fold_index: int) -> tuple[np.ndarray, np.ndarray]:
        fold = self.folds[fold_index]
        return fold.X_test[:, columns], fold.y_test

    def importances_on_all_rows(self) -> np.ndarray:
        """Total gain per column of a model trained on every row and column."""
        from ..data import Dataset
        from ..training.engine import train

        booster = train(
            self.params, Dataset(self.X, label=self.label, max_bin=self.max_bin), self.n_rounds
        )
        gains = booster.get_score("total_gain")
        return np.array([gains.get(name, 0.0) for name in booster.feature_names])


class EstimatorFitter:
    """Clones and fits any scikit-learn estimator on a fold's column subset."""

    def __init__(self, estimator: Any, X: Any, y: np.ndarray, folds: list[tuple]):
        self.estimator = estimator
        self.X = X if is_dataframe(X) else np.asarray(X)
        self.y = np.asarray(y)
        self.folds = folds

    def _take(self, rows: np.ndarray, columns: np.ndarray) -> Any:
        if is_dataframe(self.X):
            return self.X.iloc[rows, columns]
        return self.X[np.ix_(rows, columns)]

    def fit(self, columns: np.ndarray, fold_index: int) -> EstimatorModel:
        from sklearn.base import clone

        train_rows = self.folds[fold_index][0]
        model = clone(self.estimator).fit(self._take(train_rows, columns), self.y[train_rows])
        return EstimatorModel(model)

    def test_data(self, columns: np.ndarray, fold_index: int) -> tuple[Any, np.ndarray]:
        test_rows = self.folds[fold_index][1]
        return self._take(test_rows, columns), self.y[test_rows]

    def importances_on_all_rows(self) -> np.ndarray:
        """``feature_importances_`` of the estimator fitted on every row and column."""
        from sklearn.base import clone

        model = clone(self.estimator).fit(self.X, self.y)
        importances = getattr(model, "feature_importances_", None)
        if importances is None:
            raise ValueError(
                f"prefilter ranks features by importance, but {type(model).__name__} has no "
                "feature_importances_; use prefilter=None or an estimator that has them"
            )
        return np.asarray(importances, dtype=np.float64)
