"""Training and prediction on a Dask cluster (optional extra ``dask``).

:class:`DaskDataset` bins each partition where it lives; :func:`train` grows the same trees as
:func:`treeboost.train` from histograms summed across workers (only histograms, counts and split
decisions cross the network); :func:`predict` maps a model over partitions. The estimators
follow ``xgboost.dask``'s: ``DaskTreeBoostRegressor().fit(X, y)`` on dask collections.
See docs/dask.md.
"""

from __future__ import annotations

try:
    import dask.array  # noqa: F401
    import distributed  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "treeboost.dask needs dask and distributed: pip install 'treeboost[dask]'"
    ) from exc

from .dataset import DaskDataset
from .estimators import DaskTreeBoostClassifier, DaskTreeBoostRegressor
from .grower import WorkerLostError
from .predict import predict
from .training import train

__all__ = [
    "DaskDataset",
    "DaskTreeBoostClassifier",
    "DaskTreeBoostRegressor",
    "WorkerLostError",
    "predict",
    "train",
]
