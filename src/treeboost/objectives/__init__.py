"""Training objectives: gradients and hessians, base margin, and link to predictions.

Use :func:`get_objective` to build one from the ``objective`` parameter.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Callable
from typing import Any

from treeboost.objectives.base import Objective
from treeboost.objectives.binary import LogisticObjective
from treeboost.objectives.custom import CustomObjective
from treeboost.objectives.multiclass import SoftprobObjective
from treeboost.objectives.regression import SquaredErrorObjective

__all__ = [
    "OBJECTIVE_NAMES",
    "CustomObjective",
    "LogisticObjective",
    "Objective",
    "SoftprobObjective",
    "SquaredErrorObjective",
    "get_objective",
]

_BUILDERS: dict[str, Callable[[int, float], Objective]] = {
    "reg:squarederror": lambda num_class, spw: SquaredErrorObjective(),
    "binary:logistic": lambda num_class, spw: LogisticObjective(scale_pos_weight=spw),
    "multi:softprob": lambda num_class, spw: SoftprobObjective(num_class=num_class),
}

OBJECTIVE_NAMES: tuple[str, ...] = tuple(_BUILDERS)
"""Names of the built-in objectives, as accepted by :func:`get_objective`."""

_MULTICLASS_NAMES = frozenset({"multi:softprob"})


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
        ``scale_pos_weight`` (float, default 1.0, used by ``binary:logistic`` only).

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
        spw = params.get("scale_pos_weight", 1.0)
        return _BUILDERS[objective](num_class, 1.0 if spw is None else spw)
    if callable(objective):
        return CustomObjective(objective, n_outputs=max(num_class, 1))
    raise TypeError(
        "objective must be an objective name (str) or a callable obj(predt, dtrain) -> "
        f"(grad, hess); got {type(objective).__name__}"
    )
