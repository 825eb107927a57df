"""TreeBoostSearchCV: any strategy of tb.tune as a scikit-learn search meta-estimator."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.model_selection._search import BaseSearchCV

from .search import _check_budget
from .space import Space, as_space
from .strategies import STRATEGIES, make_strategy


class TreeBoostSearchCV(BaseSearchCV):
    """Cross-validated hyperparameter search with a ``tb.tune`` strategy.

    Works with any scikit-learn estimator: each configuration the strategy asks for is
    cross-validated (same splits for all when ``cv`` is an int or a splitter with a fixed
    seed), its mean test score is told back, and the best one is refitted on all data
    (``refit=True``). Results follow ``GridSearchCV``: ``cv_results_``, ``best_params_``,
    ``best_score_``, ``best_estimator_``; ``search_result_`` holds the tune history.

    Parameters
    ----------
    estimator : estimator object
    space : Space or dict of parameters
        Names are the estimator's parameter names (``step__name`` inside a Pipeline).
    strategy : {"grid", "random", "genetic", "tabu", "surrogate"}
    n_trials : int
        Configurations to cross-validate (fewer when the space runs out first).
    cv, scoring, refit, n_jobs, verbose, pre_dispatch, error_score, return_train_score
        As in ``GridSearchCV``. With several metrics, the strategy follows the one named by
        ``refit``. A failed fit scores ``error_score``; a NaN score counts as the worst.
    time_budget : float, optional
        Seconds; no new configuration starts after it runs out.
    random_state : int or None
        Seed of the strategy.
    strategy_options : dict, optional
        Keyword arguments of the strategy class.
    batch_size : int, optional
        Configurations asked before their scores are told, cross-validated together (in
        parallel with ``n_jobs``). Default 1 (every tell informs the next ask).
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "space": [Space, Mapping],
        "strategy": [str],
        "n_trials": [numbers.Integral],
        "time_budget": [numbers.Real, None],
        "random_state": [numbers.Integral, None],
        "strategy_options": [Mapping, None],
        "batch_size": [numbers.Integral],
    }

    def __init__(
        self,
        estimator,
        space,
        strategy: str = "random",
        n_trials: int = 20,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
        time_budget: float | None = None,
        random_state: int | None = None,
        strategy_options: Mapping[str, Any] | None = None,
        batch_size: int = 1,
    ):
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.space = space
        self.strategy = strategy
        self.n_trials = n_trials
        self.time_budget = time_budget
        self.random_state = random_state
        self.strategy_options = strategy_options
        self.batch_size = batch_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # BaseSearchCV copies most input tags of the inner estimator but not allow_nan; an
        # estimator that handles missing values (treeboost's do) keeps doing so inside a search
        from sklearn.utils import get_tags

        tags.input_tags.allow_nan = get_tags(self.estimator).input_tags.allow_nan
        return tags

    def _check_search_params(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"strategy={self.strategy!r} is not valid; valid: {', '.join(STRATEGIES)}"
            )
        _check_budget(self.n_trials, self.time_budget)
        if isinstance(self.batch_size, bool) or self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size!r} is not valid; valid: an int >= 1")
        params = self.estimator.get_params()
        unknown = sorted(set(as_space(self.space).names) - set(params))
        if unknown:
            raise ValueError(
                f"space names {unknown} are not parameters of {type(self.estimator).__name__}; "
                f"valid: {sorted(params)}"
            )

    def _score_key(self) -> str:
        if callable(self.refit) or not isinstance(self.refit, str):
            return "mean_test_score"
        return f"mean_test_{self.refit}"

    def _run_search(self, evaluate_candidates) -> None:
        import time

        from .history import Trial
        from .search import SearchResult

        self._check_search_params()
        space = as_space(self.space)
        strategy = make_strategy(
            self.strategy,
            space,
            random_state=self.random_state,
            **dict(self.strategy_options or {}),
        )
        trials: list[Trial] = []
        start = time.perf_counter()
        stopped = "n_trials"
        while len(trials) < self.n_trials:
            if self.time_budget is not None and time.perf_counter() - start >= self.time_budget:
                stopped = "time_budget"
                break
            batch, states = [], []
            for _ in range(min(self.batch_size, self.n_trials - len(trials))):
                config = strategy.ask()
                if config is None:
                    break
                batch.append(config)
                states.append(strategy.state())
            if not batch:
                stopped = "space exhausted"
                break
            t0 = time.perf_counter()
            results = evaluate_candidates([dict(c) for c in batch])
            seconds = (time.perf_counter() - t0) / len(batch)
            key = self._score_key()
            scores = np.asarray(results[key], dtype=float)[-len(batch) :]
            for config, score, state in zip(batch, scores, states):
                error = None if math.isfinite(score) else "non-finite cross-validated score"
                strategy.tell(config, score)
                trials.append(
                    Trial(len(trials), config, float(score), seconds, error, strategy.name, state)
                )
        self.search_result_ = SearchResult(
            space, "maximize", strategy.name, trials, self.random_state, stopped
        )
