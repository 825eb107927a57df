"""Training objectives: gradients and hessians, base margin, and link to predictions.

Use :func:`get_objective` to build one from the ``objective`` parameter.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable
from typing import Any

from .base import Objective
from .binary import LogisticObjective, LogitRawObjective
from .custom import CustomObjective
from .multiclass import SoftmaxObjective, SoftprobObjective
from .ranking import BUILDERS as _RANKING_BUILDERS
from .regression import (
    AbsoluteErrorObjective,
    ExpectileObjective,
    GammaObjective,
    PoissonObjective,
    PseudoHuberObjective,
    QuantileObjective,
    SquaredErrorObjective,
    SquaredLogErrorObjective,
    TweedieObjective,
)
from .survival import BUILDERS as _SURVIVAL_BUILDERS
from .survival import AFTObjective, CoxObjective

__all__ = [
    "OBJECTIVE_NAMES",
    "AFTObjective",
    "AbsoluteErrorObjective",
    "CoxObjective",
    "ExpectileObjective",
    "GammaObjective",
    "LogitRawObjective",
    "PoissonObjective",
    "PseudoHuberObjective",
    "QuantileObjective",
    "SoftmaxObjective",
    "SquaredLogErrorObjective",
    "TweedieObjective",
    "CustomObjective",
    "LogisticObjective",
    "Objective",
    "SoftprobObjective",
    "SquaredErrorObjective",
    "get_objective",
]


def _get(params: dict, name: str, default: Any) -> Any:
    value = params.get(name)
    return default if value is None else value


# name -> builder(num_class, params)
_BUILDERS: dict[str, Callable[[int, dict], Objective]] = {
    "reg:squarederror": lambda nc, p: SquaredErrorObjective(n_targets=_get(p, "num_target", 1)),
    "reg:absoluteerror": lambda nc, p: AbsoluteErrorObjective(),
    "reg:pseudohubererror": lambda nc, p: PseudoHuberObjective(_get(p, "huber_slope", 1.0)),
    "reg:squaredlogerror": lambda nc, p: SquaredLogErrorObjective(),
    "reg:quantileerror": lambda nc, p: QuantileObjective(p.get("quantile_alpha")),
    "reg:expectileerror": lambda nc, p: ExpectileObjective(p.get("expectile_alpha")),
    "count:poisson": lambda nc, p: PoissonObjective(p.get("max_delta_step")),
    "reg:gamma": lambda nc, p: GammaObjective(),
    "reg:tweedie": lambda nc, p: TweedieObjective(_get(p, "tweedie_variance_power", 1.5)),
    "binary:logistic": lambda nc, p: LogisticObjective(_get(p, "scale_pos_weight", 1.0)),
    "binary:logitraw": lambda nc, p: LogitRawObjective(_get(p, "scale_pos_weight", 1.0)),
    "multi:softprob": lambda nc, p: SoftprobObjective(num_class=nc),
    "multi:softmax": lambda nc, p: SoftmaxObjective(num_class=nc),
    **{name: (lambda nc, p, b=build: b(p)) for name, build in _RANKING_BUILDERS.items()},
    **{name: (lambda nc, p, b=build: b(p)) for name, build in _SURVIVAL_BUILDERS.items()},
}

OBJECTIVE_NAMES: tuple[str, ...] = tuple(_BUILDERS)
"""Names of the built-in objectives, as accepted by :func:`get_objective`."""

_MULTICLASS_NAMES = frozenset({"multi:softprob", "multi:softmax"})


def _num_class(params: dict[str, Any]) -> int:
    value = params.get("num_class", 0)
    if value is None:
        return 0
    try:
        if isinstance(value, bool):
            raise TypeError
        num_class = operator.index(value)
    except TypeError:
        raise ValueError(f"num_class must be an integer >= 0; got num_class={value!r}") from None
    if num_class < 0:
        raise ValueError(f"num_class must be an integer >= 0; got num_class={num_class}")
    return num_class


def _unknown_objective_message(name: str) -> str:
    valid = ", ".join(repr(n) for n in OBJECTIVE_NAMES)
    message = f"objective={name!r} is not a known objective; valid names are {valid}"
    closest = difflib.get_close_matches(name, OBJECTIVE_NAMES, n=1, cutoff=0.5)
    if closest:
        message += f". Did you mean {closest[0]!r}?"
    return message


def get_objective(objective: str | Callable[..., Any] | Objective, params: dict) -> Objective:
    """Build the objective named by ``objective``.

    Parameters
    ----------
    objective : str or callable or Objective
        A built-in name (see ``OBJECTIVE_NAMES``); a callable ``obj(predt, dtrain) ->
        (grad, hess)``, wrapped in a :class:`CustomObjective`; or an Objective, returned as is.
    params : dict
        The validated training parameters. Read here: ``num_class`` (int, 0 when unset) and
        ``scale_pos_weight`` (binary objectives), ``num_target`` (outputs of
        ``reg:squarederror`` for a 2-d label), ``huber_slope``, ``quantile_alpha``,
        ``expectile_alpha``, ``tweedie_variance_power`` and ``max_delta_step`` (the Poisson
        hessian damping, 0.7 when unset); the ``lambdarank_*`` parameters and
        ``ndcg_exp_gain`` (ranking); ``aft_loss_distribution`` and
        ``aft_loss_distribution_scale`` (``survival:aft``).

    Returns
    -------
    Objective

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones and the closest match), for
        ``multi:softprob`` without ``num_class >= 2``, and for ``num_class`` set with a
        single-output built-in objective.
    TypeError
        If ``objective`` is neither a string nor a callable.
    """
    num_class = _num_class(params)
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        if objective == "custom":
            raise ValueError(
                "objective='custom' names a callable that model files do not store; "
                "pass the function to train() as obj="
            )
        if objective not in _BUILDERS:
            raise ValueError(_unknown_objective_message(objective))
        if num_class and objective not in _MULTICLASS_NAMES:
            raise ValueError(
                f"num_class={num_class} is only used by multiclass objectives "
                f"({', '.join(sorted(_MULTICLASS_NAMES))}); objective={objective!r} has one "
                "output. Leave num_class unset or pick a multiclass objective."
            )
        return _BUILDERS[objective](num_class, params)
    if callable(objective):
        return CustomObjective(objective, n_outputs=max(num_class, 1))
    raise TypeError(
        "objective must be an objective name (str) or a callable obj(predt, dtrain) -> "
        f"(grad, hess); got {type(objective).__name__}"
    )
