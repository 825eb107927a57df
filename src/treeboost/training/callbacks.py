"""Training callbacks: hooks into the one boosting loop of :func:`treeboost.train`.

Early stopping and the evaluation log are callbacks like any user's. ``evals_log`` maps
``data_name -> metric_name -> list of scores`` (one per finished round).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ..model.booster import Booster

EvalsLog = dict[str, dict[str, list[float]]]

# Metrics for which larger is better; used when EarlyStopping is not told.
MAXIMIZE_METRICS = (
    "auc",
    "aucpr",
    "ndcg",
    "map",
    "pre",
    "c-index",
    "interval-regression-accuracy",
)


def metric_is_maximized(metric_name: str) -> bool:
    """Whether larger is better for a metric of that name (``ndcg@10-`` reads as ``ndcg``)."""
    base = metric_name.split("@")[0].removesuffix("-")
    return base in MAXIMIZE_METRICS


class TrainingCallback:
    """Base class: override any hook; ``before_iteration``/``after_iteration`` return True to
    stop training."""

    def before_training(self, model: Booster) -> Booster:
        return model

    def after_training(self, model: Booster) -> Booster:
        return model

    def before_iteration(self, model: Booster, epoch: int, evals_log: EvalsLog) -> bool:
        return False

    def after_iteration(self, model: Booster, epoch: int, evals_log: EvalsLog) -> bool:
        return False


class EarlyStopping(TrainingCallback):
    """Stop when the watched score has not improved for ``rounds`` rounds.

    Parameters
    ----------
    rounds : int
        Rounds without improvement before stopping.
    metric_name, data_name : str, optional
        What to watch; default the last metric of the last evaluation set.
    maximize : bool, optional
        Direction; default inferred from the metric name (auc is maximized, losses minimized).
    save_best : bool
        Drop the trees after the best round at the end of training.
    min_delta : float
        Smallest change that counts as an improvement.
    """

    def __init__(
        self,
        rounds: int,
        metric_name: str | None = None,
        data_name: str | None = None,
        maximize: bool | None = None,
        save_best: bool = False,
        min_delta: float = 0.0,
    ):
        if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
            raise ValueError(f"EarlyStopping rounds={rounds!r} must be a positive integer")
        if not min_delta >= 0.0:
            raise ValueError(f"EarlyStopping min_delta={min_delta!r} must be >= 0")
        self.rounds = rounds
        self.metric_name = metric_name
        self.data_name = data_name
        self.maximize = maximize
        self.save_best = save_best
        self.min_delta = float(min_delta)

    def before_training(self, model: Booster) -> Booster:
        self.best_score: float | None = None
        self.best_iteration = 0
        self.stale_rounds = 0
        return model

    def _watched(self, evals_log: EvalsLog) -> tuple[str, str, list[float]]:
        if not evals_log:
            raise ValueError("early stopping needs at least one evaluation set in evals")
        data_name = self.data_name or list(evals_log)[-1]
        if data_name not in evals_log:
            raise ValueError(
                f"EarlyStopping data_name={data_name!r} is not an evaluation set; "
                f"valid: {', '.join(evals_log)}"
            )
        metrics = evals_log[data_name]
        metric_name = self.metric_name or list(metrics)[-1]
        if metric_name not in metrics:
            raise ValueError(
                f"EarlyStopping metric_name={metric_name!r} is not evaluated; "
                f"valid: {', '.join(metrics)}"
            )
        return data_name, metric_name, metrics[metric_name]

    def after_iteration(self, model: Booster, epoch: int, evals_log: EvalsLog) -> bool:
        _, metric_name, scores = self._watched(evals_log)
        score = scores[-1]
        maximize = metric_is_maximized(metric_name) if self.maximize is None else self.maximize
        if self.best_score is None or math.isnan(self.best_score):
            improved = not math.isnan(score) or self.best_score is None
        elif maximize:
            improved = score > self.best_score + self.min_delta
        else:
            improved = score < self.best_score - self.min_delta
        if improved:
            self.best_score = score
            self.best_iteration = epoch
            self.stale_rounds = 0
        else:
            self.stale_rounds += 1
        model.set_best(self.best_iteration, self.best_score)
        return self.stale_rounds >= self.rounds

    def after_training(self, model: Booster) -> Booster:
        if self.save_best and self.best_score is not None:
            return model.truncated(self.best_iteration + 1)
        return model


class EvaluationMonitor(TrainingCallback):
    """Print the scores every ``period`` rounds (and the last round), XGBoost-style."""

    def __init__(self, period: int = 1, printer=print):
        if isinstance(period, bool) or not isinstance(period, int) or period < 1:
            raise ValueError(f"EvaluationMonitor period={period!r} must be a positive integer")
        self.period = period
        self.printer = printer
        self._last_line = ""
        self._printed_epoch = -1

    def _line(self, epoch: int, evals_log: EvalsLog) -> str:
        parts = [f"[{epoch}]"]
        for data_name, metrics in evals_log.items():
            for metric_name, scores in metrics.items():
                parts.append(f"{data_name}-{metric_name}:{scores[-1]:.5f}")
        return "\t".join(parts)

    def after_iteration(self, model: Booster, epoch: int, evals_log: EvalsLog) -> bool:
        if not evals_log:
            return False
        self._last_line = self._line(epoch, evals_log)
        self._last_epoch = epoch
        if epoch % self.period == 0:
            self.printer(self._last_line)
            self._printed_epoch = epoch
        return False

    def after_training(self, model: Booster) -> Booster:
        if self._last_line and self._printed_epoch != getattr(self, "_last_epoch", -1):
            self.printer(self._last_line)
        return model


class LearningRateScheduler(TrainingCallback):
    """Set the learning rate of each round before it is grown.

    Parameters
    ----------
    learning_rates : callable or sequence of float
        ``learning_rates(epoch) -> float``, or one rate per round (indexed by epoch, counted
        from the first round of the model, so a continued model keeps its schedule).
    """

    def __init__(self, learning_rates):
        if not callable(learning_rates):
            rates = list(learning_rates)
            if not rates:
                raise ValueError("LearningRateScheduler needs at least one learning rate")
            self._rates = rates
        else:
            self._rates = None
        self.learning_rates = learning_rates

    def _rate(self, epoch: int) -> float:
        if self._rates is None:
            return float(self.learning_rates(epoch))
        if epoch >= len(self._rates):
            raise ValueError(
                f"LearningRateScheduler has {len(self._rates)} rates; round {epoch} needs one more"
            )
        return float(self._rates[epoch])

    def before_iteration(self, model: Booster, epoch: int, evals_log: EvalsLog) -> bool:
        model.set_param("learning_rate", self._rate(epoch))
        return False


class TrainingCheckPoint(TrainingCallback):
    """Save the model every ``interval`` rounds (and after the last one) as JSON.

    Files are ``<directory>/<name>_<rounds>.json`` where ``rounds`` is the number of rounds the
    saved model holds. Continuing from one with ``train(..., init_model=Booster.load_model(f))``
    and the same parameters gives the same model as a run that was never interrupted: each
    round's random draws depend only on the seed and the round number.

    Parameters
    ----------
    directory : str or path
        Created if missing.
    name : str, default "model"
    interval : int, default 100
    """

    def __init__(self, directory, name: str = "model", interval: int = 100):
        import os

        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"TrainingCheckPoint interval={interval!r} must be a positive integer")
        if not isinstance(name, str) or not name or os.sep in name:
            raise ValueError(f"TrainingCheckPoint name={name!r} must be a plain file name stem")
        self.directory = os.fspath(directory)
        self.name = name
        self.interval = interval
        self._last_saved = -1

    def path_for(self, n_rounds: int) -> str:
        import os

        return os.path.join(self.directory, f"{self.name}_{n_rounds}.json")

    def _save(self, model: Booster) -> None:
        import os

        os.makedirs(self.directory, exist_ok=True)
        n_rounds = model.num_boosted_rounds()
        model.save_model(self.path_for(n_rounds))
        self._last_saved = n_rounds

    def after_iteration(self, model: Booster, epoch: int, evals_log: EvalsLog) -> bool:
        if (epoch + 1) % self.interval == 0:
            self._save(model)
        return False

    def after_training(self, model: Booster) -> Booster:
        if model.num_boosted_rounds() != self._last_saved:
            self._save(model)
        return model
