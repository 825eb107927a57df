"""Nowcasting: forecasts of a variable a few steps ahead from the recent history of it and of
other predictors, one model per lead time (or one model with the lead as a feature), with
conformal intervals per lead from a calibration block at the end of the record."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from ._frames import frame_kind, new_frame, numeric_column, require_columns
from .lags import _offsets, step_index


class Nowcaster(BaseEstimator):
    """Forecast ``target`` ``leads`` steps after each row from lags of it and of ``features``.

    Parameters
    ----------
    estimator : regressor, optional
        Fitted once per lead (cloned). Default ``TreeBoostRegressor()``.
    target : str
        The column to forecast.
    lags : sequence of int, default (0, 1, 2, 3)
        Steps back of every predictor (0 = the value at the issue time).
    leads : sequence of int, default (1,)
        Steps ahead to forecast, each >= 1.
    features : list of str, optional
        Other numeric predictor columns (their lags are used too). The target's own lags are
        always predictors. Lags across a gap are NaN (see ``missing``).
    group, time, freq
        As in :func:`make_lag_features`: the series column, the time column and its step.
    per_lead : bool, default True
        One model per lead; False fits a single model on all leads stacked, with the lead as a
        feature.
    missing : {"auto", "keep", "drop"}, default "auto"
        Rows whose lagged predictors hold NaN (lags across a gap): ``"keep"`` passes them to the
        estimator (treeboost's take NaN; so does a pipeline that starts with an imputer),
        ``"drop"`` leaves them out of training and gives them NaN forecasts, ``"auto"`` keeps
        them when the estimator's scikit-learn tags say it accepts NaN.
    calibration_size : float, default 0.0
        Fraction of the time points at the end of the record held out to calibrate split
        conformal intervals (:meth:`predict_interval`); training rows whose target falls in
        that block are left out, so the calibration targets are never seen in training.
    """

    def __init__(self, estimator: Any = None, target: str | None = None,
                 lags: Any = (0, 1, 2, 3), leads: Any = (1,), features: Any = None,
                 group: str | None = None, time: str | None = None, freq: Any = None,
                 per_lead: bool = True, missing: str = "auto", calibration_size: float = 0.0):
        self.estimator = estimator
        self.target = target
        self.lags = lags
        self.leads = leads
        self.features = features
        self.group = group
        self.time = time
        self.freq = freq
        self.per_lead = per_lead
        self.missing = missing
        self.calibration_size = calibration_size

    # -- design matrix -------------------------------------------------------------------
    def _predictors(self) -> list[str]:
        extra = [] if self.features is None else (
            [self.features] if isinstance(self.features, str) else list(self.features))
        return [self.target, *[f for f in extra if f != self.target]]

    def _design(self, frame: Any):
        index = step_index(frame, self.group, self.time, self.freq)
        lag_steps = _offsets("lags", self.lags, 0, index.freq)
        if not lag_steps:
            raise ValueError("lags is empty; the model needs at least one lag of its predictors")
        names, columns = [], []
        for name in self._predictors():
            values = numeric_column(frame, name)
            for k in lag_steps:
                names.append(f"{name}_lag{k}")
                columns.append(values if k == 0 else index.shifted(values, -k))
        return index, names, np.column_stack(columns)

    def _check(self, frame: Any) -> None:
        frame_kind(frame)
        if self.target is None:
            raise ValueError("target is not set; name the column to forecast")
        needed = self._predictors() + [c for c in (self.group, self.time) if c is not None]
        require_columns(frame, needed, "column")

    def _model(self):
        if self.estimator is None:
            from ..sklearn import TreeBoostRegressor

            return TreeBoostRegressor()
        return clone(self.estimator)

    def _complete(self, X: np.ndarray) -> np.ndarray:
        """Rows the estimator can take: all of them if it accepts NaN, else those without."""
        if self.missing not in ("auto", "keep", "drop"):
            raise ValueError(f"missing={self.missing!r} is not valid; valid: auto, keep, drop")
        if self.missing == "auto":
            try:
                allow_nan = self._model().__sklearn_tags__().input_tags.allow_nan
            except AttributeError:
                allow_nan = False
        else:
            allow_nan = self.missing == "keep"
        return np.ones(X.shape[0], dtype=bool) if allow_nan else ~np.isnan(X).any(axis=1)

    # -- fitting -------------------------------------------------------------------------
    def fit(self, frame: Any) -> Nowcaster:
        self._check(frame)
        if not 0.0 <= float(self.calibration_size) < 1.0:
            raise ValueError(f"calibration_size={self.calibration_size!r} is not valid; "
                             "valid: a fraction in [0, 1)")
        index, names, X = self._design(frame)
        self.leads_ = _offsets("leads", self.leads, 1, index.freq)
        if not self.leads_:
            raise ValueError("leads is empty; ask for at least one lead time")
        y = numeric_column(frame, self.target)
        usable = self._complete(X)
        # Time of each row in steps, comparable across series (same grid for every group).
        clock = self._clock(frame, index)
        cutoff = np.inf
        if self.calibration_size > 0:
            points = np.unique(clock)
            n_cal = int(np.ceil(self.calibration_size * points.shape[0]))
            if n_cal >= points.shape[0]:
                raise ValueError("calibration_size leaves no time for training")
            cutoff = points[points.shape[0] - n_cal]
        self.feature_names_ = names
        self.models_, self.conformal_ = {}, {}
        stacked_X, stacked_y = [], []
        targets = {k: index.shifted(y, k) for k in self.leads_}
        for k, target in targets.items():
            has = ~np.isnan(target) & usable
            # A training row's target lies k steps after it: it must precede the cutoff.
            train = has & (clock + k < cutoff)
            cal = has & (clock >= cutoff)
            if not train.any():
                raise ValueError(f"lead {k}: no row has a target to train on")
            if self.per_lead:
                model = self._model().fit(X[train], target[train])
                self.models_[k] = model
                if self.calibration_size > 0:
                    self.conformal_[k] = self._calibrate(model, X[cal], target[cal], k)
            else:
                stacked_X.append(np.column_stack([X[train], np.full(train.sum(), float(k))]))
                stacked_y.append(target[train])
        if not self.per_lead:
            model = self._model().fit(np.vstack(stacked_X), np.concatenate(stacked_y))
            self.models_ = {k: model for k in self.leads_}
            if self.calibration_size > 0:
                for k, target in targets.items():
                    cal = ~np.isnan(target) & usable & (clock >= cutoff)
                    self.conformal_[k] = self._calibrate(
                        _WithLead(model, k), X[cal], target[cal], k)
        return self

    def _clock(self, frame: Any, index) -> np.ndarray:
        if self.time is None:
            return index.steps.astype(np.float64)
        from .lags import _time_numbers

        t, _ = _time_numbers(frame, self.time)
        step = (index.freq.astype("timedelta64[ns]").astype(np.int64)
                if isinstance(index.freq, np.timedelta64) else float(index.freq))
        return (t - t.min()) / step

    def _calibrate(self, model, X, y, k):
        from ..uncertainty.conformal import ConformalRegressor

        if y.shape[0] < 2:
            raise ValueError(f"lead {k}: the calibration block has {y.shape[0]} rows with a "
                             "target; raise calibration_size")
        return ConformalRegressor(model, method="split", cv="prefit").fit(X, y)

    # -- prediction ------------------------------------------------------------------------
    def _design_for_predict(self, frame: Any) -> tuple[np.ndarray, np.ndarray]:
        """The predictors of every row, and which rows the estimator can take."""
        if not hasattr(self, "models_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this Nowcaster is not fitted yet; call fit(frame) first")
        self._check(frame)
        X = self._design(frame)[2]
        return X, self._complete(X)

    def predict(self, frame: Any) -> Any:
        """Forecasts issued at each row's time, one column ``TARGET_leadK`` per lead, in a frame
        of the input's library (pandas keeps the index). Only the history in ``frame`` is read."""
        X, usable = self._design_for_predict(frame)
        out = {}
        for k in self.leads_:
            model = self.models_[k] if self.per_lead else _WithLead(self.models_[k], k)
            values = np.full(X.shape[0], np.nan)
            if usable.any():
                values[usable] = model.predict(X[usable])
            out[f"{self.target}_lead{k}"] = values
        return new_frame(frame, out)

    def predict_interval(self, frame: Any, alpha: float = 0.1) -> Any:
        """Split conformal intervals per lead (``TARGET_leadK_lower`` / ``_upper``), calibrated
        on the block held out by ``calibration_size``."""
        X, usable = self._design_for_predict(frame)
        if not getattr(self, "conformal_", None):
            raise ValueError("no conformal calibration: fit with calibration_size > 0")
        out = {}
        for k in self.leads_:
            bounds = np.full((X.shape[0], 2), np.nan)
            if usable.any():
                bounds[usable] = self.conformal_[k].predict_interval(X[usable], alpha=alpha)
            out[f"{self.target}_lead{k}_lower"] = bounds[:, 0]
            out[f"{self.target}_lead{k}_upper"] = bounds[:, 1]
        return new_frame(frame, out)


class _WithLead(BaseEstimator):
    """A model fitted on stacked leads, seen as a model of one lead (the lead column added)."""

    def __init__(self, model: Any = None, lead: int = 1):
        self.model = model
        self.lead = lead

    def fit(self, X, y):  # already fitted; "prefit" calibration never calls this
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=np.float64)
        return self.model.predict(np.column_stack([X, np.full(X.shape[0], float(self.lead))]))
