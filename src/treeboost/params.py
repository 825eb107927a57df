"""The parameter table: one name per concept (XGBoost's scikit-learn names), defaults, validation.

An unknown name is an error that suggests the closest valid one; common names from other libraries
get a pointer to ours instead of being accepted silently as aliases.
"""

from __future__ import annotations

import difflib
import numbers
import os
from collections.abc import Callable
from typing import Any

import numba

GROW_POLICIES = ("depthwise", "lossguide")

# name -> (default, validator). Validators raise ValueError/TypeError naming the parameter.
DEFAULTS: dict[str, Any] = {
    "objective": "reg:squarederror",
    "eval_metric": None,
    "num_class": 0,
    "learning_rate": 0.3,
    "max_depth": 6,
    "max_leaves": 0,
    "grow_policy": "depthwise",
    "min_child_weight": 1.0,
    "gamma": 0.0,
    "reg_lambda": 1.0,
    "reg_alpha": 0.0,
    "max_delta_step": 0.0,
    "subsample": 1.0,
    "colsample_bytree": 1.0,
    "colsample_bylevel": 1.0,
    "colsample_bynode": 1.0,
    "max_bin": 256,
    "base_score": None,
    "scale_pos_weight": 1.0,
    "random_state": 0,
    "n_jobs": None,
    "device": "cpu",
    "monotone_constraints": None,
    "interaction_constraints": None,
    "max_cat_to_onehot": None,
    "max_cat_threshold": None,
}

# Names other libraries use, pointing at ours. They are rejected, never silently mapped.
FOREIGN_NAMES = {
    "eta": "learning_rate",
    "lambda": "reg_lambda",
    "lambda_l2": "reg_lambda",
    "alpha": "reg_alpha",
    "lambda_l1": "reg_alpha",
    "min_split_loss": "gamma",
    "min_split_gain": "gamma",
    "min_sum_hessian_in_leaf": "min_child_weight",
    "seed": "random_state",
    "nthread": "n_jobs",
    "num_threads": "n_jobs",
    "num_leaves": "max_leaves",
    "bagging_fraction": "subsample",
    "feature_fraction": "colsample_bytree",
    "metric": "eval_metric",
    "n_estimators": "num_boost_round (an argument of train(), not a parameter)",
    "num_boost_round": "num_boost_round (an argument of train(), not a parameter)",
    "num_round": "num_boost_round (an argument of train(), not a parameter)",
}

# Known parameters whose feature has not been built yet: accepted only at their default.
NOT_YET_SUPPORTED = (
    "monotone_constraints",
    "interaction_constraints",
    "max_cat_to_onehot",
    "max_cat_threshold",
)


def _number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> Any:
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a number"
        raise TypeError(f"parameter {name}={value!r} must be {what}")
    value = int(value) if integer else float(value)
    if value != value:  # NaN
        raise ValueError(f"parameter {name}={value!r} must not be NaN")
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        interval = f"{'(' if low_open else '['}{lo}, {hi}{')' if high_open else ']'}"
        raise ValueError(f"parameter {name}={value!r} is out of range; valid: {interval}")
    return value


def _fraction(name: str) -> Callable[[Any], float]:
    return lambda v: _number(name, v, low=0.0, high=1.0, low_open=True)


def _non_negative(name: str) -> Callable[[Any], float]:
    return lambda v: _number(name, v, low=0.0)


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(
                f"parameter {name}={value!r} is not valid; valid: {', '.join(choices)}"
            )
        return value

    return check


def _eval_metric(value: Any) -> Any:
    if value is None or isinstance(value, str) or callable(value):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f"parameter eval_metric={value!r} must be a metric name or a list of names")


def _objective(value: Any) -> Any:
    if isinstance(value, str) or callable(value):
        return value
    raise TypeError(f"parameter objective={value!r} must be an objective name or a callable")


def _base_score(value: Any) -> Any:
    return None if value is None else _number("base_score", value)


def _n_jobs(value: Any) -> Any:
    if value is None:
        return None
    value = _number("n_jobs", value, integer=True)
    if value == 0:
        raise ValueError(
            "parameter n_jobs=0 is not valid; use a positive count, -1 for all cores, or None"
        )
    return value


def _device(value: Any) -> str:
    if value != "cpu":
        raise ValueError(f"parameter device={value!r} is not available; valid: 'cpu'")
    return value


def _not_yet(name: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is not None:
            raise ValueError(
                f"parameter {name}={value!r}: this feature is not available yet in "
                f"treeboost; leave {name} unset"
            )
        return value

    return check


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "objective": _objective,
    "eval_metric": _eval_metric,
    "num_class": lambda v: _number("num_class", v, low=0, integer=True),
    "learning_rate": lambda v: _number("learning_rate", v, low=0.0, low_open=True),
    "max_depth": lambda v: _number("max_depth", v, low=0, integer=True),
    "max_leaves": lambda v: _number("max_leaves", v, low=0, integer=True),
    "grow_policy": _choice("grow_policy", GROW_POLICIES),
    "min_child_weight": _non_negative("min_child_weight"),
    "gamma": _non_negative("gamma"),
    "reg_lambda": _non_negative("reg_lambda"),
    "reg_alpha": _non_negative("reg_alpha"),
    "max_delta_step": _non_negative("max_delta_step"),
    "subsample": _fraction("subsample"),
    "colsample_bytree": _fraction("colsample_bytree"),
    "colsample_bylevel": _fraction("colsample_bylevel"),
    "colsample_bynode": _fraction("colsample_bynode"),
    "max_bin": lambda v: _number("max_bin", v, low=2, high=65536, integer=True),
    "base_score": _base_score,
    "scale_pos_weight": lambda v: _number("scale_pos_weight", v, low=0.0, low_open=True),
    "random_state": lambda v: _number("random_state", v, low=0, high=2**63 - 1, integer=True),
    "n_jobs": _n_jobs,
    "device": _device,
    **{name: _not_yet(name) for name in NOT_YET_SUPPORTED},
}


def unknown_parameter_message(name: str) -> str:
    if name in FOREIGN_NAMES:
        return f"unknown parameter {name!r}; treeboost calls it {FOREIGN_NAMES[name]}"
    close = difflib.get_close_matches(name, list(DEFAULTS), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown parameter {name!r}{hint}"


def validate_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults filled in, every value checked; returns a new dict (the caller's is untouched)."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict, got {type(params).__name__}")
    out = dict(DEFAULTS)
    for name, value in params.items():
        if name not in VALIDATORS:
            raise ValueError(unknown_parameter_message(str(name)))
        out[name] = VALIDATORS[name](value)
    if out["grow_policy"] == "lossguide" and out["max_depth"] == 0 and out["max_leaves"] == 0:
        raise ValueError(
            "grow_policy='lossguide' needs a size limit: set max_leaves > 0 or max_depth > 0"
        )
    if out["grow_policy"] == "depthwise" and out["max_depth"] == 0:
        raise ValueError("max_depth=0 (unlimited) is only valid with grow_policy='lossguide'")
    return out


def resolve_n_threads(n_jobs: int | None) -> int:
    """Threads to use: None or -1 = every core; -2 = all but one, ...; capped by numba's pool."""
    available = min(os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS)
    if n_jobs is None or n_jobs == -1:
        return available
    if n_jobs < 0:
        return max(1, available + 1 + n_jobs)
    return max(1, min(int(n_jobs), available))
