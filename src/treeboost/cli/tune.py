"""``treeboost tune``: search hyperparameters with :mod:`treeboost.tune` (grid, random, genetic,
tabu or boosted-surrogate strategies) over its default space, scoring each trial by the best
validation score under early stopping; saves the best model."""

from __future__ import annotations

import argparse
import copy
import json
import math
from typing import Any

from . import _io
from ._io import CLIError, check_output, one_line
from ._training import add_training_data_options, command_params, training_sets

STRATEGY_NAMES = ("random", "grid", "genetic", "tabu", "surrogate")
TASK_OF_OBJECTIVE_PREFIX = (
    ("binary:", "binary"),
    ("multi:", "multiclass"),
    ("reg:", "regression"),
    ("count:", "regression"),
)
TOP_TRIALS_PRINTED = 5


def add_parser(commands) -> None:
    """The ``tune`` subcommand and its options."""
    tune = commands.add_parser(
        "tune",
        help="search hyperparameters and save the best model",
        description="Search the parameters of treeboost.tune's default space (learning rate, "
        "depth, leaves, regularisation, sampling) for the best validation score. Each trial "
        "trains with early stopping on the validation set; the best trial's model is saved. "
        "Parameters given with --param are fixed and left out of the search.",
    )
    add_training_data_options(tune, valid_help=" (default 0.2 when --valid is not given)")
    tune.add_argument(
        "--strategy", choices=STRATEGY_NAMES, default="random", help="search strategy"
    )
    tune.add_argument(
        "--trials", type=int, default=20, metavar="N", help="number of trials (default 20)"
    )
    tune.add_argument(
        "--time-budget", type=float, metavar="SECONDS", help="start no trial after this long"
    )
    tune.add_argument(
        "--rounds", type=int, default=500, metavar="N", help="most rounds per trial (default 500)"
    )
    tune.add_argument(
        "--early-stopping",
        type=int,
        default=30,
        metavar="N",
        help="stop a trial after N rounds without a better validation score (default 30)",
    )
    tune.add_argument("--history", metavar="JSON", help="save every trial (after each one)")
    tune.add_argument("--best-params", metavar="JSON", help="write the best parameters")
    tune.add_argument("--quiet", action="store_true", help="print nothing while searching")
    tune.add_argument("-o", "--output", required=True, metavar="MODEL", help="best model JSON")


def _task(params: dict[str, Any]) -> str:
    objective = params.get("objective", "reg:squarederror")
    for prefix, task in TASK_OF_OBJECTIVE_PREFIX:
        if isinstance(objective, str) and objective.startswith(prefix):
            return task
    raise CLIError(f"tune has no default search space for objective {objective!r}")


def _watched_metric(params: dict[str, Any]) -> str:
    """The metric early stopping watches: the last ``eval_metric``, else the objective's."""
    from ..model.params import validate_params
    from ..objectives import get_objective

    validated = validate_params(params)
    metric = validated.get("eval_metric")
    if metric:
        return metric[-1] if isinstance(metric, (list, tuple)) else str(metric)
    return get_objective(validated["objective"], validated).default_metric


def search_space(task: str, fixed: dict[str, Any]):
    """treeboost.tune's default space for ``task`` without the parameters fixed by the user.
    A parameter conditional on a fixed one is kept (unconditionally) when the fixed value
    activates it, dropped otherwise."""
    from ..tune import Space, default_space

    params = {}
    for name, param in default_space(task, n_estimators=False).params.items():
        if name in fixed:
            continue
        if param.condition is not None:
            ((parent, values),) = param.condition.items()
            if parent in fixed:
                if fixed[parent] not in values:
                    continue
                param = copy.copy(param)
                param.condition = None
        params[name] = param
    if not params:
        raise CLIError("--param fixes every parameter of the search space; nothing to tune")
    return Space(params)


def _check_args(args: argparse.Namespace) -> None:
    if args.trials < 1:
        raise CLIError(f"--trials {args.trials} must be >= 1")
    if args.time_budget is not None and not args.time_budget > 0:
        raise CLIError(f"--time-budget {args.time_budget} must be > 0 seconds")
    if args.rounds < 1:
        raise CLIError(f"--rounds {args.rounds} must be >= 1")
    if args.early_stopping < 1:
        raise CLIError(f"--early-stopping {args.early_stopping} must be >= 1")
    for path in (args.output, args.history, args.best_params):
        if path is not None:
            if path == "-":
                raise CLIError("tune writes files; '-' (stdout) is not valid here")
            check_output(path)


def run(args: argparse.Namespace) -> int:
    from ..training.callbacks import metric_is_maximized
    from ..training.engine import train
    from ..tune import search

    _check_args(args)
    fixed = command_params(args)
    try:
        metric = _watched_metric(fixed)
    except (TypeError, ValueError) as exc:
        raise CLIError(one_line(exc)) from None
    task = _task(fixed)
    space = search_space(task, fixed)
    if args.valid is None and args.valid_fraction is None:
        args.valid_fraction = 0.2
    dtrain, dvalid = training_sets(args, fixed)
    direction = "maximize" if metric_is_maximized(metric) else "minimize"
    best: dict[str, Any] = {}

    def objective(config: dict[str, Any]) -> float:
        params = {**fixed, **config}
        booster = train(
            params,
            dtrain,
            num_boost_round=args.rounds,
            evals=[(dvalid, "valid")],
            early_stopping_rounds=args.early_stopping,
        )
        score = float(booster.best_score)
        better = score > best["score"] if direction == "maximize" else score < best["score"]
        if better:
            best.update(score=score, booster=booster, params=params)
        return score

    best["score"] = -math.inf if direction == "maximize" else math.inf
    show = not args.quiet and _io.stdout_is_tty()
    if not args.quiet:
        print(
            f"tune: {args.strategy} search over {len(space.names)} parameters, up to "
            f"{args.trials} trials; score: valid-{metric} ({direction}), early stopping after "
            f"{args.early_stopping} of up to {args.rounds} rounds; {dtrain.num_row()} train / "
            f"{dvalid.num_row()} validation rows",
            flush=True,
        )
    try:
        result = search(
            objective,
            space,
            strategy=args.strategy,
            n_trials=args.trials,
            time_budget=args.time_budget,
            direction=direction,
            random_state=args.seed,
            save_path=args.history,
            progress=show,
        )
    except OSError as exc:
        raise CLIError(f"cannot write {args.history!r}: {exc.strerror or exc}") from None
    if "booster" not in best:
        errors = [t.error for t in result.trials if t.error]
        first = errors[0] if errors else "no trial finished"
        raise CLIError(f"every trial failed; the first: {one_line(first)}")
    _save(best, result, metric, args)
    if not args.quiet:
        _print_result(best, result, metric, args)
    return 0


def _save(best: dict[str, Any], result, metric: str, args: argparse.Namespace) -> None:
    booster = best["booster"]
    try:
        booster.save_model(args.output)
        if args.best_params:
            document = {
                "params": best["params"],
                "num_boost_round": booster.best_iteration + 1,
                "metric": f"valid-{metric}",
                "score": best["score"],
                "trials": result.n_trials,
                "strategy": args.strategy,
            }
            with open(args.best_params, "w", encoding="utf-8") as fh:
                json.dump(document, fh, indent=2, default=_json_value)
                fh.write("\n")
    except OSError as exc:
        raise CLIError(f"cannot write output: {exc.strerror or exc}") from None


def _json_value(value: Any) -> Any:
    """numpy scalars in configurations as plain JSON numbers."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {value!r} as JSON")


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _print_result(best: dict[str, Any], result, metric: str, args: argparse.Namespace) -> None:
    booster = best["booster"]
    trial = result.best_trial
    failed = sum(t.failed for t in result.trials)
    print(
        f"{result.n_trials} trials ({failed} failed), stopped by {result.stopped_because}; "
        f"best trial {trial.number}: valid-{metric} {best['score']:.6f} at round "
        f"{booster.best_iteration}"
    )
    print("best parameters:")
    for name in result.space.names:
        if name in trial.config:
            print(f"  {name}: {_format(trial.config[name])}")
    ranked = sorted(
        (t for t in result.trials if not t.failed),
        key=lambda t: t.score,
        reverse=result.direction == "maximize",
    )
    print(f"top trials (valid-{metric}):")
    for t in ranked[:TOP_TRIALS_PRINTED]:
        print(f"  #{t.number:<4} {t.score:.6f}  ({t.seconds:.2f} s)")
    written = [args.output] + [p for p in (args.best_params, args.history) if p]
    print("wrote " + ", ".join(written))
