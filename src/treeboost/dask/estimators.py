"""scikit-learn style estimators on Dask collections, following ``xgboost.dask``'s conventions:
``fit`` takes dask arrays or DataFrames, ``predict`` returns lazy dask collections, and the
client is the ``client`` attribute (the current default client when unset)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..sklearn.estimators import (
    TreeBoostClassifier,
    TreeBoostRegressor,
    eval_pairs,
)
from .dataset import DaskDataset
from .predict import predict
from .training import train


class _DaskModel:
    """Fitting and prediction shared by the Dask estimators."""

    _client: Any = None

    @property
    def client(self) -> Any:
        """The Dask client the estimator trains and predicts with."""
        if self._client is not None:
            return self._client
        from distributed import get_client

        return get_client()

    @client.setter
    def client(self, value: Any) -> None:
        self._client = value

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_client", None)  # a client does not pickle
        return state

    def _dask_fit(self, X, y, sample_weight, eval_set, sample_weight_eval_set, verbose,
                  extra: dict, encode=lambda y: y) -> None:  # fmt: skip
        self._check_wrapper_params(eval_set)
        client = self.client
        dtrain = DaskDataset(
            client, X, encode(y), weight=sample_weight, max_bin=self.max_bin,
            categorical_features=self.categorical_features,
        )  # fmt: skip
        evals = []
        for i, Xv, yv, wv in eval_pairs(eval_set, sample_weight_eval_set):
            data = DaskDataset(client, Xv, encode(yv), weight=wv, reference=dtrain)
            evals.append((data, f"validation_{i}"))
        self._train_booster(train, dtrain, evals, verbose, extra, client)
        self.n_features_in_ = dtrain.num_col()
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(dtrain.feature_names, dtype=object)

    def _dask_predict(self, X, output_margin: bool, iteration_range) -> Any:
        return predict(self.client, self.get_booster(), X, output_margin=output_margin,
                       iteration_range=iteration_range)  # fmt: skip


class DaskTreeBoostRegressor(_DaskModel, TreeBoostRegressor):
    """:class:`~treeboost.TreeBoostRegressor` trained on a Dask cluster.

    ``fit(X, y)`` takes a dask array or DataFrame and a dask array or Series; ``predict``
    returns a dask array (or Series for DataFrame input). Set ``client`` to choose the cluster.
    """

    def fit(self, X, y, sample_weight=None, eval_set=None, sample_weight_eval_set=None,
            verbose: bool | int = False) -> DaskTreeBoostRegressor:  # fmt: skip
        """Train on dask collections ``X`` and ``y`` (see :func:`treeboost.dask.train`)."""
        self._dask_fit(X, y, sample_weight, eval_set, sample_weight_eval_set, verbose, {})
        return self

    def predict(self, X, output_margin: bool = False, iteration_range=None) -> Any:
        """Predictions of every partition of ``X``, lazily."""
        return self._dask_predict(X, output_margin, iteration_range)


def _encode_labels(y: Any, classes: np.ndarray) -> Any:
    """``y``'s class indices (positions in the sorted ``classes``), partition by partition."""

    def encode(block):
        return np.searchsorted(classes, np.asarray(block)).astype(np.float64)

    if hasattr(y, "map_partitions"):
        return y.map_partitions(encode, meta=(y.name, "f8"))
    return y.map_blocks(encode, dtype=np.float64)


class DaskTreeBoostClassifier(_DaskModel, TreeBoostClassifier):
    """:class:`~treeboost.TreeBoostClassifier` trained on a Dask cluster (binary or
    multiclass; ``classes_`` is found with one pass over ``y``)."""

    def fit(self, X, y, sample_weight=None, eval_set=None, sample_weight_eval_set=None,
            verbose: bool | int = False) -> DaskTreeBoostClassifier:  # fmt: skip
        """Train on dask collections ``X`` and class labels ``y``."""
        import dask

        unique = y.unique() if hasattr(y, "unique") else dask.array.unique(y)
        self.classes_ = np.sort(np.asarray(self.client.compute(unique).result()))
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(
                f"DaskTreeBoostClassifier needs samples of at least 2 classes in y; "
                f"got {self.n_classes_}"
            )
        classes = self.classes_

        def encode(labels):
            return _encode_labels(labels, classes)

        self._dask_fit(X, y, sample_weight, eval_set, sample_weight_eval_set, verbose,
                       self._objective_params(), encode)  # fmt: skip
        return self

    def predict_proba(self, X, iteration_range=None) -> Any:
        """Class probabilities, (n_samples, n_classes), lazily (a dask array)."""
        proba = self._dask_predict(X, False, iteration_range)
        if hasattr(proba, "to_dask_array"):
            proba = proba.to_dask_array(lengths=True)
        if proba.ndim == 1:
            import dask.array as da

            return da.stack([1.0 - proba, proba], axis=1)
        return proba

    def predict(self, X, output_margin: bool = False, iteration_range=None) -> Any:
        """Predicted class labels (from ``classes_``), lazily; margins with
        ``output_margin=True``."""
        if output_margin:
            return self._dask_predict(X, True, iteration_range)
        classes = self.classes_
        return self.predict_proba(X, iteration_range).map_blocks(
            lambda p: classes[np.argmax(p, axis=1)], drop_axis=1, dtype=classes.dtype
        )
