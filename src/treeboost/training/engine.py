"""The one boosting loop: :func:`train`, and :func:`cv` built on the same loop.

Both drive :class:`~treeboost.training.session.BoostingSession` round by round, with the
callbacks in between. Everything above (the scikit-learn estimators, tuning, the CLI) calls
these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..data import Dataset
from ..model.booster import Booster
from ..model.survival import BaselineHazard
from .callbacks import (
    EarlyStopping,
    EvalsLog,
    EvaluationMonitor,
    TrainingCallback,
    metric_is_maximized,
)
from .session import BoostingSession, CustomMetric, check_dataset


def _standard_callbacks(callbacks, early_stopping_rounds, verbose_eval, maximize):
    callbacks = list(callbacks or [])
    for cb in callbacks:
        if not isinstance(cb, TrainingCallback):
            raise TypeError(
                f"callbacks must be TrainingCallback instances, got {type(cb).__name__}"
            )
    if verbose_eval:
        period = 1 if verbose_eval is True else int(verbose_eval)
        callbacks.append(EvaluationMonitor(period=period))
    if early_stopping_rounds is not None:
        callbacks.append(EarlyStopping(early_stopping_rounds, maximize=maximize))
    return callbacks


def train(
    params: dict[str, Any] | None,
    dtrain: Dataset,
    num_boost_round: int = 10,
    evals: Sequence[tuple[Dataset, str]] | None = None,
    obj: Callable | None = None,
    custom_metric: CustomMetric | None = None,
    early_stopping_rounds: int | None = None,
    callbacks: Sequence[TrainingCallback] | None = None,
    verbose_eval: bool | int = False,
    init_model: Booster | None = None,
    evals_result: dict | None = None,
    maximize: bool | None = None,
) -> Booster:
    """Train a gradient boosted tree model.

    Parameters
    ----------
    params : dict
        Training parameters (see :mod:`treeboost.model.params`); unknown names are an error.
    dtrain : Dataset
        Training data with labels.
    num_boost_round : int
        Boosting rounds (trees per output).
    evals : list of (Dataset, name)
        Sets scored after every round; the last one drives early stopping.
    obj : callable, optional
        Custom objective ``obj(margin, dtrain) -> (grad, hess)``.
    custom_metric : callable, optional
        ``custom_metric(prediction, dataset) -> (name, value)``; receives probabilities for
        built-in objectives and margins for a custom objective.
    early_stopping_rounds : int, optional
        Stop when the last metric of the last eval set has not improved for this many rounds;
        ``best_iteration`` is kept and used by ``predict``.
    callbacks : list of TrainingCallback
    verbose_eval : bool or int
        Print the scores every round (True) or every ``verbose_eval`` rounds.
    init_model : Booster, optional
        Continue training this model (its trees are kept; new rounds are added).
    evals_result : dict, optional
        Filled with ``{data_name: {metric_name: [score per round]}}``.
    maximize : bool, optional
        Direction for early stopping; inferred from the metric when omitted.

    Returns
    -------
    Booster
    """
    if (
        isinstance(num_boost_round, bool)
        or not isinstance(num_boost_round, (int, np.integer))
        or num_boost_round < 0
    ):
        raise ValueError(f"num_boost_round={num_boost_round!r} must be an integer >= 0")
    session = BoostingSession(params, dtrain, evals, obj, custom_metric, init_model)
    callbacks = _standard_callbacks(callbacks, early_stopping_rounds, verbose_eval, maximize)
    if early_stopping_rounds is not None and not session.eval_sets:
        raise ValueError("early_stopping_rounds needs at least one evaluation set in evals")
    model = session.booster
    for cb in callbacks:
        model = cb.before_training(model) or model
    evals_log: EvalsLog = {}
    start_round = model.num_boosted_rounds()
    for epoch in range(start_round, start_round + int(num_boost_round)):
        if any(cb.before_iteration(model, epoch, evals_log) for cb in callbacks):
            break
        session.boost_one_round()
        session.evaluate(evals_log)
        # Every callback sees the round, even when an earlier one asks to stop.
        stops = [cb.after_iteration(model, epoch, evals_log) for cb in callbacks]
        if any(stops):
            break
    for cb in callbacks:
        model = cb.after_training(model) or model
    if model.objective.name == "survival:cox":
        model.survival_baseline = _cox_baseline(model, dtrain)
    if evals_result is not None:
        evals_result.clear()
        evals_result.update(evals_log)
    return model


def _cox_baseline(model: Booster, dtrain: Dataset) -> BaselineHazard:
    """The Breslow baseline cumulative hazard of the training rows under the final model (up
    to its best iteration), for survival curves."""
    from ..metrics.survival import cox_time_event
    from ..objectives.survival import breslow_baseline

    time, event = cox_time_event(dtrain.label)
    margin = model.predict(dtrain, output_margin=True)
    times, hazard = breslow_baseline(time, event, margin, dtrain.weight)
    return BaselineHazard(np.asarray(times, np.float64), np.asarray(hazard, np.float64))


def cv(
    params: dict[str, Any] | None,
    dtrain: Dataset,
    num_boost_round: int = 10,
    nfold: int = 5,
    stratified: bool = False,
    folds: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    obj: Callable | None = None,
    custom_metric: CustomMetric | None = None,
    early_stopping_rounds: int | None = None,
    maximize: bool | None = None,
    verbose_eval: bool | int = False,
    seed: int = 0,
    shuffle: bool = True,
    as_pandas: bool = False,
) -> dict[str, np.ndarray] | Any:
    """Cross-validate: train one model per fold in lockstep, round by round.

    Ranking data (a Dataset with query groups) is split by query: a query's rows are never
    divided between training and test folds.

    Returns ``{"train-<metric>-mean", "train-<metric>-std", "test-<metric>-mean", ...}`` with one
    entry per round (cut at the best round when early stopping triggers); a pandas DataFrame
    when ``as_pandas=True``. Folds share the training Dataset's bins.
    """
    check_dataset(dtrain, "dtrain")
    if dtrain.num_row() < 2:
        raise ValueError("cv needs at least two rows")
    if folds is None:
        folds = _make_folds(dtrain, nfold, stratified, seed, shuffle)
    sessions = []
    for train_idx, test_idx in folds:
        d_tr = dtrain.slice(np.asarray(train_idx))
        d_te = dtrain.slice(np.asarray(test_idx))
        sessions.append(
            BoostingSession(params, d_tr, [(d_tr, "train"), (d_te, "test")], obj, custom_metric)
        )
    if not sessions:
        raise ValueError("cv needs at least one fold; folds is empty")
    logs: list[EvalsLog] = [{} for _ in sessions]
    history: dict[str, list[float]] = {}
    best_round, best_score, stale = 0, None, 0
    for epoch in range(int(num_boost_round)):
        for session, log in zip(sessions, logs):
            session.boost_one_round()
            session.evaluate(log)
        for data_name in ("train", "test"):
            for metric_name in logs[0].get(data_name, {}):
                scores = np.array([log[data_name][metric_name][-1] for log in logs])
                key = f"{data_name}-{metric_name}"
                history.setdefault(f"{key}-mean", []).append(float(scores.mean()))
                history.setdefault(f"{key}-std", []).append(float(scores.std()))
        if verbose_eval and epoch % (1 if verbose_eval is True else int(verbose_eval)) == 0:
            print(
                f"[{epoch}]\t"
                + "\t".join(f"{k}:{v[-1]:.5f}" for k, v in history.items() if k.endswith("-mean"))
            )
        if early_stopping_rounds is not None:
            metric_keys = [k for k in history if k.startswith("test-") and k.endswith("-mean")]
            if not metric_keys:
                raise ValueError("early_stopping_rounds needs an evaluation metric")
            key = metric_keys[-1]
            score = history[key][-1]
            metric_name = key[len("test-") : -len("-mean")]
            up = metric_is_maximized(metric_name) if maximize is None else maximize
            if best_score is None or (score > best_score if up else score < best_score):
                best_round, best_score, stale = epoch, score, 0
            else:
                stale += 1
                if stale >= early_stopping_rounds:
                    break
    if early_stopping_rounds is not None:
        history = {k: v[: best_round + 1] for k, v in history.items()}
    result = {k: np.asarray(v) for k, v in history.items()}
    if as_pandas:
        import pandas as pd

        return pd.DataFrame(result)
    return result


def _make_folds(dtrain: Dataset, nfold: int, stratified: bool, seed: int, shuffle: bool):
    from sklearn.model_selection import KFold, StratifiedKFold

    if isinstance(nfold, bool) or not isinstance(nfold, int) or nfold < 2:
        raise ValueError(f"nfold={nfold!r} must be an integer >= 2")
    if nfold > dtrain.num_row():
        raise ValueError(f"nfold={nfold} exceeds the number of rows ({dtrain.num_row()})")
    if dtrain.qid is not None:
        if stratified:
            raise ValueError(
                "stratified=True cannot keep query groups whole; ranking data is split by query "
                "(leave stratified=False)"
            )
        return _query_folds(dtrain.qid, nfold, seed, shuffle)
    rs = seed if shuffle else None
    splitter = (StratifiedKFold if stratified else KFold)(nfold, shuffle=shuffle, random_state=rs)
    X_dummy = np.zeros((dtrain.num_row(), 1))
    return list(splitter.split(X_dummy, dtrain.label if stratified else None))


def _query_folds(qid: np.ndarray, nfold: int, seed: int, shuffle: bool):
    """Folds of whole queries: each query's rows go to one test fold (queries dealt out in
    turn, in a seeded random order when ``shuffle``)."""
    ids, query_of_row = np.unique(qid, return_inverse=True)
    n_queries = ids.shape[0]
    if nfold > n_queries:
        raise ValueError(
            f"nfold={nfold} exceeds the number of query groups ({n_queries}); folds never "
            "split a query"
        )
    order = np.random.default_rng(seed).permutation(n_queries) if shuffle else np.arange(n_queries)
    fold_of_query = np.empty(n_queries, dtype=np.int64)
    fold_of_query[order] = np.arange(n_queries) % nfold
    fold_of_row = fold_of_query[query_of_row]
    rows = np.arange(qid.shape[0])
    return [(rows[fold_of_row != f], rows[fold_of_row == f]) for f in range(nfold)]
