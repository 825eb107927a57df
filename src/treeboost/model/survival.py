"""Survival curves of survival models: the Cox model's Breslow baseline, and the AFT model's
log-time distribution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..objectives.survival import survival_function


@dataclass
class BaselineHazard:
    """The Breslow estimate of a Cox model's baseline cumulative hazard, a step function.

    Attributes
    ----------
    times : ndarray of float64
        Distinct event times of the training rows, increasing.
    cumulative_hazard : ndarray of float64
        H0 at each of ``times`` (non-decreasing); H0 is 0 before the first event time.
    """

    times: np.ndarray
    cumulative_hazard: np.ndarray


def check_times(times) -> np.ndarray:
    times = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if times.ndim != 1 or not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError(f"times must be a 1-d array of finite values >= 0; got {times!r}"[:200])
    return times


def survival_probabilities(
    objective: str,
    params: dict,
    baseline: BaselineHazard | None,
    margin: np.ndarray,
    times: np.ndarray,
) -> np.ndarray:
    """S(t | x) of every row (margins ``margin``) at every time of ``times``: shape
    (n_rows, n_times).

    Cox: exp(-H0(t) exp(margin)). AFT: P(T > t) where ln T = margin + sigma Z, Z of the model's
    ``aft_loss_distribution`` (normal, logistic, or the minimum extreme value distribution).
    """
    times = check_times(times)
    if objective == "survival:cox":
        if baseline is None:
            raise ValueError(
                "this Cox model has no baseline hazard (it was not fitted by treeboost.train, or "
                "the model was sliced); train it again to get survival curves"
            )
        return survival_function(
            baseline.times, baseline.cumulative_hazard, np.exp(margin), times
        )
    if objective == "survival:aft":
        from scipy import stats  # loaded here: importing the package stays light

        sigma = float(params.get("aft_loss_distribution_scale", 1.0))
        with np.errstate(divide="ignore"):
            z = (np.log(times)[None, :] - margin[:, None]) / sigma
        distribution = params.get("aft_loss_distribution", "normal")
        if distribution == "normal":
            return stats.norm.sf(z)
        if distribution == "logistic":
            return stats.logistic.sf(z)
        return np.exp(-np.exp(z))
    raise ValueError(
        f"survival curves need objective 'survival:cox' or 'survival:aft'; this model has "
        f"objective={objective!r}"
    )
