"""Time series: lagged predictors and lead targets by time, rolling-origin cross-validation,
persistence and climatology baselines, regime scores and skill, and a per-lead nowcaster
(docs/timeseries.md). Works on pandas and polars frames."""

from .baselines import climatology_forecast, persistence_forecast
from .lags import make_lag_features
from .nowcaster import Nowcaster
from .regimes import regime_metrics, skill_score
from .splits import RollingOriginSplit, rolling_origin_splits

__all__ = [
    "Nowcaster",
    "RollingOriginSplit",
    "climatology_forecast",
    "make_lag_features",
    "persistence_forecast",
    "regime_metrics",
    "rolling_origin_splits",
    "skill_score",
]
