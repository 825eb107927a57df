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

from ..kernels.quantize import MAX_LEVELS

GROW_POLICIES = ("depthwise", "lossguide")
BOOSTERS = ("gbtree", "dart")

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
    "max_delta_step": None,
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
    "huber_slope": 1.0,
    "quantile_alpha": None,
    "expectile_alpha": None,
    "tweedie_variance_power": 1.5,
    "num_target": 0,
    "booster": "gbtree",
    "rate_drop": 0.0,
    "skip_drop": 0.0,
    "one_drop": False,
    "sample_type": "uniform",
    "normalize_type": "tree",
    "num_parallel_tree": 1,
    "max_cat_to_onehot": 4,
    "max_cat_threshold": 64,
    "cat_smooth": 10.0,
    "cat_l2": 10.0,
    "min_data_per_group": 100,
    # Histograms from gradients rounded to a few integer levels (LightGBM's names).
    "use_quantized_grad": False,
    "num_grad_quant_bins": 4,
    # Learning to rank (rank:ndcg, rank:map, rank:pairwise), under XGBoost's names.
    "lambdarank_pair_method": "topk",
    "lambdarank_num_pair_per_sample": None,
    "lambdarank_normalization": True,
    "lambdarank_score_normalization": True,
    "lambdarank_unbiased": False,
    "lambdarank_bias_norm": 1.0,
    "ndcg_exp_gain": True,
    # Accelerated failure time (survival:aft).
    "aft_loss_distribution": "normal",
    "aft_loss_distribution_scale": 1.0,
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
NOT_YET_SUPPORTED: tuple[str, ...] = ()


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


# Margins and gradients are float32 in places: a base score beyond this would overflow them.
_MAX_BASE_SCORE = 1e37


def _base_score(value: Any) -> Any:
    if value is None:
        return None
    value = _number("base_score", value)
    if not abs(value) <= _MAX_BASE_SCORE:
        raise ValueError(
            f"parameter base_score={value!r} is out of range; valid: a finite number of "
            f"magnitude at most {_MAX_BASE_SCORE:g} (gradients are float32)"
        )
    return value


def _n_jobs(value: Any) -> Any:
    if value is None:
        return None
    value = _number("n_jobs", value, integer=True)
    if value == 0:
        raise ValueError(
            "parameter n_jobs=0 is not valid; use a positive count, -1 for all cores, or None"
        )
    return value


def _levels(name: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is None:
            return None
        values = value if isinstance(value, (list, tuple)) else [value]
        out = []
        for v in values:
            v = _number(name, v, low=0.0, high=1.0, low_open=True, high_open=True)
            out.append(v)
        if any(b <= a for a, b in zip(out, out[1:])):
            raise ValueError(f"parameter {name}={value!r} must be strictly increasing")
        return out[0] if not isinstance(value, (list, tuple)) else out

    return check


def _bool(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, (bool, int)) or value not in (0, 1):
            raise TypeError(f"parameter {name}={value!r} must be True or False")
        return bool(value)

    return check


def _max_delta_step(value: Any) -> Any:
    return None if value is None else _number("max_delta_step", value, low=0.0)


def _monotone(value: Any) -> Any:
    """Kept in the user's form (list, tuple, dict by name, or "(1,0,-1)" string); resolved
    against the feature names when training starts."""
    if value is None or isinstance(value, (str, list, tuple, dict)):
        return list(value) if isinstance(value, tuple) else value
    raise TypeError(
        f"parameter monotone_constraints={value!r} must be a list of -1/0/1, a dict "
        "{feature name: -1/0/1} or a string like '(1,0,-1)'"
    )


def _interactions(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value.replace("(", "[").replace(")", "]"))
        except ValueError:
            raise ValueError(
                f"parameter interaction_constraints={value!r} is not a list of feature groups "
                "such as '[[0, 1], [2, 3]]'"
            ) from None
    if not isinstance(value, (list, tuple)) or not all(isinstance(g, (list, tuple)) for g in value):
        raise TypeError(
            f"parameter interaction_constraints={value!r} must be a list of feature groups, "
            "each a list of feature indices or names"
        )
    return [list(g) for g in value]


# XGBoost's names: "gpu" is an alias of "cuda". Whether a GPU is present is checked when
# training starts (tree/gpu.py), not here: a model file read on a machine without one is valid.
DEVICES = ("cpu", "cuda", "gpu")


def _device(value: Any) -> str:
    if not isinstance(value, str) or value not in DEVICES:
        raise ValueError(
            f"parameter device={value!r} is not valid; valid: {', '.join(map(repr, DEVICES))}"
        )
    return "cuda" if value == "gpu" else value


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
    "max_delta_step": _max_delta_step,
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
    "monotone_constraints": _monotone,
    "interaction_constraints": _interactions,
    "huber_slope": lambda v: _number("huber_slope", v, low=0.0, low_open=True),
    "quantile_alpha": _levels("quantile_alpha"),
    "expectile_alpha": _levels("expectile_alpha"),
    "tweedie_variance_power": lambda v: _number(
        "tweedie_variance_power", v, low=1.0, high=2.0, low_open=True, high_open=True
    ),
    "num_target": lambda v: _number("num_target", v, low=0, integer=True),
    "booster": _choice("booster", BOOSTERS),
    "rate_drop": lambda v: _number("rate_drop", v, low=0.0, high=1.0),
    "skip_drop": lambda v: _number("skip_drop", v, low=0.0, high=1.0),
    "one_drop": _bool("one_drop"),
    "sample_type": _choice("sample_type", ("uniform", "weighted")),
    "normalize_type": _choice("normalize_type", ("tree", "forest")),
    "num_parallel_tree": lambda v: _number("num_parallel_tree", v, low=1, integer=True),
    "max_cat_to_onehot": lambda v: _number("max_cat_to_onehot", v, low=1, integer=True),
    "max_cat_threshold": lambda v: _number("max_cat_threshold", v, low=1, integer=True),
    "cat_smooth": _non_negative("cat_smooth"),
    "cat_l2": _non_negative("cat_l2"),
    "min_data_per_group": lambda v: _number("min_data_per_group", v, low=0, integer=True),
    "use_quantized_grad": _bool("use_quantized_grad"),
    # Hessians are rounded into [-levels, levels], stored as int8.
    "num_grad_quant_bins": lambda v: _number(
        "num_grad_quant_bins", v, low=2, high=MAX_LEVELS, integer=True
    ),
    "lambdarank_pair_method": _choice("lambdarank_pair_method", ("topk", "mean")),
    "lambdarank_num_pair_per_sample": lambda v: (
        None if v is None else _number("lambdarank_num_pair_per_sample", v, low=1, integer=True)
    ),
    "lambdarank_normalization": _bool("lambdarank_normalization"),
    "lambdarank_score_normalization": _bool("lambdarank_score_normalization"),
    "lambdarank_unbiased": _bool("lambdarank_unbiased"),
    "lambdarank_bias_norm": _non_negative("lambdarank_bias_norm"),
    "ndcg_exp_gain": _bool("ndcg_exp_gain"),
    "aft_loss_distribution": _choice(
        "aft_loss_distribution", ("normal", "logistic", "extreme")
    ),
    "aft_loss_distribution_scale": lambda v: _number(
        "aft_loss_distribution_scale", v, low=0.0, low_open=True
    ),
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


# Below this many rows a training run (or a prediction) uses one thread: the parallel regions
# cost more than they save (measured at 50 rounds: 300 rows 0.09 s on one thread against 2.8 s on
# two threads of a busy machine, 3,000 rows 0.13 s against 0.38 s, even at 10,000). Results are
# the same whatever the thread count.
SERIAL_BELOW_ROWS = 8192


def threads_for_rows(n_threads: int, n_rows: int) -> int:
    """``n_threads``, or 1 for fewer than :data:`SERIAL_BELOW_ROWS` rows."""
    return 1 if n_rows < SERIAL_BELOW_ROWS else n_threads


class numba_threads:
    """Set numba's thread count for the calling thread, restoring it afterwards."""

    def __init__(self, n_threads: int):
        self.n_threads = n_threads

    def __enter__(self):
        self.previous = numba.get_num_threads()
        if self.n_threads != self.previous:
            numba.set_num_threads(self.n_threads)

    def __exit__(self, *exc):
        if numba.get_num_threads() != self.previous:
            numba.set_num_threads(self.previous)


def resolve_n_threads(n_jobs: int | None) -> int:
    """Threads to use: None or -1 = every core; -2 = all but one, ...; capped by numba's pool."""
    available = min(os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS)
    if n_jobs is None or n_jobs == -1:
        return available
    if n_jobs < 0:
        return max(1, available + 1 + n_jobs)
    return max(1, min(int(n_jobs), available))


def trees_per_round(n_outputs: int, params: dict[str, Any]) -> int:
    """Trees a model adds per boosting round: one per output, times ``num_parallel_tree``."""
    return int(n_outputs) * int(params.get("num_parallel_tree", 1) or 1)
