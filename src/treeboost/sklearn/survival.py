"""The scikit-learn time-to-event estimator: :class:`TreeBoostSurvival`."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..model.params import DEFAULTS
from .estimators import _FIT_DOC, _TreeBoostModel, init_with_parameters

_SURVIVAL_PARAMS: dict[str, Any] = {
    name: DEFAULTS[name] for name in ("aft_loss_distribution", "aft_loss_distribution_scale")
}
_SURVIVAL_OBJECTIVES = ("survival:cox", "survival:aft")


def survival_targets(y: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read time-to-event targets in one of three forms and return ``(time, event, upper)``.

    - a 1-d array in XGBoost's Cox convention: ``t > 0`` an event at ``t``, ``-t`` censored
      at ``t``;
    - a structured array with a boolean and a float field (scikit-survival's ``Surv``:
      event observed, time);
    - a 2-d (n, 2) array of interval bounds ``[lower, upper]`` (``upper = inf``: censored at
      ``lower``; equal bounds: an event at that time).

    ``upper`` is the interval's upper bound (``time`` for events, inf for censored rows).
    """
    array = np.asarray(y)
    if array.dtype.names is not None:
        names = array.dtype.names
        kinds = [array.dtype[n].kind for n in names]
        if len(names) != 2 or "b" not in kinds or "f" not in kinds:
            raise ValueError(
                "a structured survival target needs two fields, a boolean event indicator and "
                f"a float time (scikit-survival's Surv); got fields {names}"
            )
        event = array[names[kinds.index("b")]].astype(bool)
        time = array[names[kinds.index("f")]].astype(np.float64)
        upper = np.where(event, time, np.inf)
    elif array.ndim == 2 and array.shape[1] == 2:
        time = array[:, 0].astype(np.float64)
        upper = array[:, 1].astype(np.float64)
        event = time == upper
    elif array.ndim == 1 or (array.ndim == 2 and array.shape[1] == 1):
        signed = array.reshape(-1).astype(np.float64)
        if np.any(signed == 0):
            i = int(np.flatnonzero(signed == 0)[0])
            raise ValueError(
                f"y[{i}] = 0: in the signed-time convention a time must be > 0 (an event) or "
                "< 0 (censored at its absolute value)"
            )
        time = np.abs(signed)
        event = signed > 0
        upper = np.where(event, time, np.inf)
    else:
        raise ValueError(
            "y must be signed times (n,), a structured (event, time) array, or interval bounds "
            f"(n, 2); got shape {array.shape}"
        )
    if not np.all(np.isfinite(time)) or np.any(time < 0):
        i = int(np.flatnonzero(~np.isfinite(time) | (time < 0))[0])
        raise ValueError(f"survival times must be finite and >= 0; row {i} has time {time[i]}")
    return time, event, upper


class TreeBoostSurvival(_TreeBoostModel):
    """Gradient boosted trees for time-to-event data: Cox proportional hazards
    (``objective="survival:cox"``, the default) or accelerated failure time
    (``"survival:aft"`` with ``aft_loss_distribution`` and ``aft_loss_distribution_scale``).

    ``y`` is signed times (XGBoost's Cox convention: negative = censored), a structured
    (event, time) array, or (n, 2) interval bounds (AFT; ``inf`` upper bound = right-censored).
    :meth:`predict` returns hazard ratios (Cox) or predicted times (AFT);
    :meth:`predict_survival_function` survival probabilities; :meth:`score` Harrell's
    concordance index.
    """

    _default_objective = "survival:cox"
    __init__ = init_with_parameters(_SURVIVAL_PARAMS)

    def _train_params(self, extra: dict[str, Any]) -> dict[str, Any]:
        params = super()._train_params(extra)
        params.update({name: getattr(self, name) for name in _SURVIVAL_PARAMS})
        if params["objective"] not in _SURVIVAL_OBJECTIVES:
            raise ValueError(
                f"objective={params['objective']!r} is not a survival objective; valid: "
                f"{', '.join(_SURVIVAL_OBJECTIVES)} or None"
            )
        return params

    def _is_cox(self) -> bool:
        return self.objective in (None, "survival:cox")

    def _rows(self, y) -> tuple[np.ndarray, dict[str, Any]]:
        time, event, upper = survival_targets(y)
        if self._is_cox():
            interval = np.isfinite(upper) & (upper != time)
            if interval.any():
                raise ValueError(
                    "survival:cox takes right-censored data only; y holds interval bounds "
                    "(use objective='survival:aft')"
                )
            return np.where(event, time, -time), {}
        return time, {"label_lower_bound": time, "label_upper_bound": upper}

    def fit(
        self,
        X,
        y,
        sample_weight=None,
        eval_set=None,
        sample_weight_eval_set=None,
        verbose: bool | int = False,
        feature_weights=None,
    ) -> TreeBoostSurvival:
        X = self._validate_X(X, reset=True)
        self._table_input = self._keeps_table(X)
        label, info = self._rows(y)
        if label.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {label.shape[0]}")
        eval_set = list(eval_set or [])
        eval_pairs, eval_info = [], []
        for i, pair in enumerate(eval_set):
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise ValueError(f"eval_set[{i}] must be an (X, y) pair")
            eval_label, row_info = self._rows(pair[1])
            eval_pairs.append((pair[0], eval_label))
            eval_info.append(row_info)
        self._fit_booster(
            X,
            label,
            sample_weight,
            eval_pairs,
            sample_weight_eval_set,
            verbose,
            {},
            feature_weights=feature_weights,
            row_info=info,
            eval_row_info=eval_info,
        )
        return self

    fit.__doc__ = "Train on ``X`` and time-to-event targets ``y`` (see the class).\n" + _FIT_DOC

    def predict(self, X, output_margin: bool = False, iteration_range=None) -> np.ndarray:
        """Hazard ratios exp(margin) (Cox) or predicted event times exp(margin) (AFT), shape
        (n_samples,); margins with ``output_margin=True``."""
        return self._margin_or_prediction(X, output_margin, iteration_range)

    def predict_survival_function(self, X, times, iteration_range=None) -> np.ndarray:
        """Survival probabilities S(t | x), shape (n_samples, len(times)).

        Cox: ``exp(-H0(t) * hazard ratio)`` with the Breslow baseline cumulative hazard H0
        fitted on the training rows. AFT: ``P(T > t)`` of the fitted log-time distribution.
        """
        check_is_fitted(self, "_Booster")
        X = self._validate_X(X, reset=False)
        return self._Booster.predict_survival(X, times, iteration_range=iteration_range)

    def score(self, X, y, sample_weight=None) -> float:
        """Harrell's concordance index of the predictions against ``y`` (censoring taken into
        account): the share of comparable pairs the model orders correctly."""
        from ..metrics.survival import concordance_index

        time, event, _ = survival_targets(y)
        prediction = self.predict(X)
        # A higher hazard ratio means an earlier event; a longer predicted time a later one.
        risk = prediction if self._is_cox() else -prediction
        return float(concordance_index(time, risk, event, weight=sample_weight))

    def __sklearn_tags__(self):
        tags = BaseEstimator.__sklearn_tags__(self)
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.estimator_type = "regressor"
        return tags
