"""``treeboost info``: describe a saved model (objective, outputs, features, trees, rounds, best
iteration and the training parameters that matter most)."""

from __future__ import annotations

import argparse

from . import _io
from ._io import load_booster, names_preview

# Parameters shown when the model holds them.
KEY_PARAMS = (
    "num_class",
    "eval_metric",
    "learning_rate",
    "max_depth",
    "max_leaves",
    "grow_policy",
    "min_child_weight",
    "gamma",
    "reg_lambda",
    "reg_alpha",
    "subsample",
    "colsample_bytree",
    "max_bin",
    "scale_pos_weight",
    "random_state",
)


def add_parser(commands) -> None:
    """The ``info`` subcommand and its options."""
    info = commands.add_parser(
        "info", help="describe a saved model", description="Describe a saved model."
    )
    info.add_argument("model", metavar="MODEL", help=_io.MODEL_HELP)


def run(args: argparse.Namespace) -> int:
    booster = load_booster(args.model)
    params = booster.params
    names = booster.feature_names
    print(f"objective: {params.get('objective', booster.objective.name)}")
    print(f"outputs: {booster.n_outputs}")
    print(f"features: {len(names)}")
    print(f"feature names: {names_preview(names)}")
    print(f"trees: {booster.num_trees()}")
    print(f"rounds: {booster.num_boosted_rounds()}")
    best = booster.best_iteration
    if best is None:
        print("best iteration: none")
    else:
        score = "" if booster.best_score is None else f" (score {booster.best_score:.6g})"
        print(f"best iteration: {best}{score}")
    print("parameters:")
    for name in KEY_PARAMS:
        # num_class is stored as 0 for models that are not multiclass: not worth a line.
        if params.get(name) is not None and not (name == "num_class" and not params[name]):
            print(f"  {name}: {params[name]}")
    return 0
