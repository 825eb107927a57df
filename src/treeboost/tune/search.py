"""``search``: drive a strategy against a function, with a trial budget or a time budget,
error capture per trial, saved and resumable history."""

from __future__ import annotations

import math
import numbers
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .history import EvaluationCache, Trial, load_history, save_history
from .progress import make_progress
from .space import Space, as_space
from .strategies import Strategy, make_strategy
from .strategies.base import check_direction


@dataclass
class SearchResult:
    """What a search found: the best trial and the full history."""

    space: Space
    direction: str
    strategy: str
    trials: list[Trial]
    random_state: int | None = None
    stopped_because: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def best_trial(self) -> Trial | None:
        scored = [t for t in self.trials if not t.failed]
        if not scored:
            return None
        sign = 1.0 if self.direction == "maximize" else -1.0
        # the first trial among equals wins, so the result does not depend on later ties
        return max(scored, key=lambda t: (sign * t.score, -t.number))

    @property
    def best_config(self) -> dict[str, Any] | None:
        best = self.best_trial
        return None if best is None else dict(best.config)

    @property
    def best_score(self) -> float:
        best = self.best_trial
        return math.nan if best is None else best.score

    @property
    def n_trials(self) -> int:
        return len(self.trials)

    @property
    def history(self):
        """The trials as a pandas DataFrame: number, one column per parameter, score, seconds,
        error, strategy, state (needs pandas; see :meth:`to_records` otherwise)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.to_records())

    def to_records(self) -> list[dict[str, Any]]:
        records = []
        for t in self.trials:
            row: dict[str, Any] = {"number": t.number}
            row.update({name: t.config.get(name) for name in self.space.names})
            row.update(
                score=t.score, seconds=t.seconds, error=t.error, strategy=t.strategy, state=t.state
            )
            records.append(row)
        return records

    def best_so_far(self) -> np.ndarray:
        """Best score after each trial (NaN until a trial succeeds)."""
        sign = 1.0 if self.direction == "maximize" else -1.0
        best, out = -math.inf, []
        for t in self.trials:
            if not t.failed:
                best = max(best, sign * t.score)
            out.append(sign * best if math.isfinite(best) else math.nan)
        return np.array(out)

    def save(self, path: str | os.PathLike) -> None:
        """Write the history as JSON (format in :mod:`treeboost.tune.history`)."""
        save_history(path, self._header(), self.trials)

    def _header(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "strategy": self.strategy,
            "random_state": self.random_state,
            "space": self.space.to_dict(),
        }

    @classmethod
    def load(cls, path: str | os.PathLike) -> SearchResult:
        header, trials = load_history(path)
        return cls(
            space=Space.from_dict(header["space"]),
            direction=check_direction(header.get("direction", "maximize")),
            strategy=str(header.get("strategy", "")),
            trials=trials,
            random_state=header.get("random_state"),
        )

    def __repr__(self) -> str:
        return (
            f"SearchResult(strategy={self.strategy!r}, n_trials={self.n_trials}, "
            f"best_score={self.best_score!r}, best_config={self.best_config!r})"
        )


def _check_budget(n_trials: Any, time_budget: Any) -> None:
    if n_trials is None and time_budget is None:
        raise ValueError("search needs a budget: pass n_trials=..., time_budget=... or both")
    if n_trials is not None and (
        isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral) or n_trials < 1
    ):
        raise ValueError(f"n_trials={n_trials!r} is not valid; valid: an integer >= 1 or None")
    if time_budget is not None and (
        isinstance(time_budget, bool)
        or not isinstance(time_budget, numbers.Real)
        or not time_budget > 0
    ):
        raise ValueError(f"time_budget={time_budget!r} is not valid; valid: seconds > 0 or None")


def _as_score(value: Any) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"fn returned {value!r}; it must return a real number (the score)")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"fn returned {value!r}; the score must be finite")
    return value


def _previous_trials(resume: Any) -> list[Trial]:
    if resume is None:
        return []
    if isinstance(resume, SearchResult):
        return list(resume.trials)
    if isinstance(resume, (str, os.PathLike)):
        return load_history(resume)[1]
    raise TypeError(
        f"resume={resume!r} is not valid; valid: a history path, a SearchResult or None"
    )


def _replay(strategy: Strategy, space: Space, trials: list[Trial]) -> dict[str, Any] | None:
    """Feed earlier trials to a fresh strategy.

    The strategy asks again; while it asks for the recorded configurations in order, it gets
    their recorded scores, so a resumed search continues exactly as the uninterrupted one would
    have. Trials it would not have asked (another strategy or seed wrote them) are told as
    outside measurements. Returns a configuration asked but not yet measured, if any.
    """
    position = 0
    for position, trial in enumerate(trials):
        config = strategy.ask()
        recorded = space.validate(trial.config)
        if config is None or space.key(config) != space.key(recorded):
            for rest in trials[position:]:
                strategy.tell(rest.config, rest.score)
            return config
        strategy.tell(recorded, trial.score)
    return None


def search(
    fn: Callable[[dict[str, Any]], float],
    space: Space | Mapping,
    strategy: str | Strategy = "random",
    n_trials: int | None = None,
    time_budget: float | None = None,
    direction: str = "maximize",
    random_state: int | None = None,
    strategy_options: Mapping[str, Any] | None = None,
    cache: EvaluationCache | None = None,
    resume: str | os.PathLike | SearchResult | None = None,
    save_path: str | os.PathLike | None = None,
    progress: bool = False,
    catch: tuple[type[BaseException], ...] = (Exception,),
) -> SearchResult:
    """Search ``space`` for the configuration that maximizes (or minimizes) ``fn``.

    Parameters
    ----------
    fn : callable
        ``fn(config) -> float``, called once per trial with a dict of parameter values.
    space : Space or dict of parameters
    strategy : {"grid", "random", "genetic", "tabu", "surrogate"} or Strategy
    n_trials : int, optional
        Number of trials (evaluations of ``fn``), resumed ones included.
    time_budget : float, optional
        Seconds; no new trial starts after it runs out (a running trial finishes).
    direction : {"maximize", "minimize"}
    random_state : int, optional
        Seed of the strategy: the same seed gives the same trials (for a deterministic ``fn``).
    strategy_options : dict, optional
        Keyword arguments of the strategy class (e.g. ``{"tenure": 6}`` for tabu).
    cache : EvaluationCache, optional
        Shared scores: configurations it holds are never evaluated again.
    resume : path or SearchResult, optional
        Continue a saved search: its trials are replayed into the strategy and kept.
    save_path : path, optional
        Save the history (JSON) after every trial, so a crashed search can be resumed.
    progress : bool
        Show a progress display (rich, when installed). Quiet by default.
    catch : tuple of exception types
        Exceptions from ``fn`` recorded as failed trials (score NaN, message in ``error``);
        others propagate.

    Returns
    -------
    SearchResult
    """
    space = as_space(space)
    direction = check_direction(direction)
    _check_budget(n_trials, time_budget)
    if not callable(fn):
        raise TypeError(f"fn={fn!r} is not valid; valid: a callable fn(config) -> float")
    options = dict(strategy_options or {})
    if isinstance(strategy, Strategy):
        if options:
            raise ValueError("strategy_options apply only when strategy is given by name")
        if strategy.direction != direction:
            raise ValueError(
                f"direction={direction!r} differs from the strategy's {strategy.direction!r}"
            )
    else:
        strategy = make_strategy(
            strategy,
            space,
            direction=direction,
            random_state=random_state,
            cache=cache,
            **options,
        )
    trials = _previous_trials(resume)
    next_config = _replay(strategy, space, trials)
    if next_config is not None and space.key(next_config) in strategy.cache:
        next_config = None  # the replay told its score already
    result = SearchResult(space, direction, strategy.name, list(trials), random_state)
    display = make_progress(progress, n_trials, strategy.name)
    display.start()
    start = time.perf_counter()
    result.stopped_because = "n_trials"
    try:
        while n_trials is None or result.n_trials < n_trials:
            if time_budget is not None and time.perf_counter() - start >= time_budget:
                result.stopped_because = "time_budget"
                break
            config = next_config if next_config is not None else strategy.ask()
            next_config = None
            if config is None:
                result.stopped_because = "space exhausted"
                break
            state = strategy.state()
            t0 = time.perf_counter()
            error = None
            try:
                score = _as_score(fn(dict(config)))
            except catch as exc:
                score, error = math.nan, f"{type(exc).__name__}: {exc}"
            trial = Trial(
                number=result.n_trials,
                config=config,
                score=score,
                seconds=time.perf_counter() - t0,
                error=error,
                strategy=strategy.name,
                state=state,
            )
            strategy.tell(config, score)
            result.trials.append(trial)
            display.update(trial, result.best_score)
            if save_path is not None:
                result.save(save_path)
    finally:
        display.stop()
    return result
