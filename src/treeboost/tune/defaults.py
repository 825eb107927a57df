"""A sensible default search space for treeboost models."""

from __future__ import annotations

from .space import Categorical, Float, Integer, Space

TASKS = ("regression", "binary", "multiclass")


def default_space(task: str = "regression", n_estimators: bool = True) -> Space:
    """The parameters that matter most for boosted trees, over ranges that work on most data.

    Names are the estimators' (``TreeBoostRegressor`` / ``TreeBoostClassifier``); for
    :func:`treeboost.train`, drop ``n_estimators`` (``n_estimators=False``) and pass rounds as
    ``num_boost_round``.

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}
        ``"binary"`` adds ``max_delta_step`` (it steadies logistic updates on imbalanced
        classes); ``"multiclass"`` keeps trees and rounds smaller, since every round grows one
        tree per class.
    n_estimators : bool
        Include the number of rounds in the space.
    """
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not valid; valid: {', '.join(TASKS)}")
    multiclass = task == "multiclass"
    params: dict = {}
    if n_estimators:
        params["n_estimators"] = Integer(50, 300 if multiclass else 1000, log=True)
    params.update(
        learning_rate=Float(0.01, 0.3, log=True),
        grow_policy=Categorical(["depthwise", "lossguide"]),
        max_depth=Integer(2, 8 if multiclass else 10),
        # best-first growth is capped by a leaf budget as well as by max_depth
        max_leaves=Integer(
            4, 64 if multiclass else 128, log=True, condition={"grow_policy": ["lossguide"]}
        ),
        min_child_weight=Float(0.5, 50.0, log=True),
        subsample=Float(0.5, 1.0),
        colsample_bytree=Float(0.4, 1.0),
        reg_lambda=Float(1e-3, 100.0, log=True),
        reg_alpha=Float(1e-3, 10.0, log=True),
        gamma=Float(0.0, 5.0),
    )
    if task == "binary":
        params["max_delta_step"] = Categorical([0.0, 1.0, 5.0])
    return Space(params)
