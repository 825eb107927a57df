""":func:`train` on a Dask cluster: the boosting loop of :func:`treeboost.train` with the rows in
the workers' shards.

Per round: shards compute their gradients; the driver draws the round's random numbers (rows,
features) from the same stream as one machine; each tree grows from summed shard histograms
(:class:`~treeboost.dask.grower.DistributedGrower`); shards add it to their margins; metrics
combine the shards' shares. Callbacks, early stopping and the returned Booster are those of
one machine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..kernels.sampling import draw_features, tree_stream_keys, uniform_at
from ..metrics import get_metric
from ..model.booster import Booster
from ..model.params import resolve_n_threads, validate_params
from ..objectives import get_objective
from ..training.callbacks import EvalsLog, TrainingCallback
from ..training.engine import _standard_callbacks
from ..training.session import _model_params, grower_settings, metric_names
from ..tree.constraints import resolve_constraints
from ._shard import Shard, metric_reduction
from .dataset import DaskDataset
from .grower import DistributedGrower, ShardGroup, WorkerLostError

# Column sampling with equal chances (Dask training takes no feature weights).
_EQUAL_CHANCES = np.zeros(0, dtype=np.float64)

# Objectives whose base margin is a function of the weighted mean label: shards send exact
# sums. The others (class rates, medians) get each shard's distinct labels with their weights.
_MEAN_BASE = frozenset({"reg:squarederror", "count:poisson", "reg:gamma", "reg:tweedie"})


def _check_supported(p: dict, objective) -> None:
    name = objective.name
    if callable(p["objective"]):
        raise TypeError(
            "a custom objective function cannot run on Dask workers here; use a built-in objective"
        )
    if name.startswith("rank:") or name.startswith("survival:"):
        raise ValueError(
            f"objective={name!r} is not supported by Dask training (its gradients need whole "
            "query groups or censoring bounds on one worker); train it with treeboost.train"
        )
    if objective.leaf_refresh_alphas() is not None:
        raise ValueError(
            f"objective={name!r} re-fits leaves to residual quantiles, which Dask training does "
            "not gather; use treeboost.train, or reg:squarederror / reg:pseudohubererror"
        )
    if p["booster"] == "dart":
        raise ValueError("booster='dart' is not supported by Dask training; use booster='gbtree'")
    if p.get("device", "cpu") != "cpu":
        raise ValueError(
            f"parameter device={p['device']!r}: Dask training runs on the workers' CPUs; use "
            "device='cpu'"
        )
    if p.get("num_target", 0) not in (0, 1):
        raise ValueError("multi-target regression is not supported by Dask training")
    if p.get("use_quantized_grad", False):
        # Each worker would scale its own gradients, and integer sums of different scales
        # cannot be added.
        raise ValueError(
            "use_quantized_grad=True is not supported by Dask training; set it to False"
        )


def _place_shards(client, dtrain: DaskDataset, evals: list, params: dict) -> ShardGroup:
    """One shard actor per worker that holds rows, created on that worker with its own blocks
    (nothing moves)."""
    addresses: list[str] = []
    for data in [dtrain, *(data for data, _ in evals)]:
        addresses += [address for address in data.blocks if address not in addresses]
    threads = client.nthreads()
    lost = [address for address in addresses if address not in threads]
    if lost:
        raise WorkerLostError(
            f"worker(s) {', '.join(lost)} holding binned rows left the cluster before training; "
            "build the DaskDataset again"
        )
    mapper = dtrain.bin_mapper
    n_jobs = resolve_n_threads(params["n_jobs"]) if params["n_jobs"] is not None else None
    futures = []
    for address in addresses:
        eval_blocks = [data.blocks.get(address) for data, _ in evals]
        n_threads = threads[address] if n_jobs is None else min(n_jobs, threads[address])
        future = client.submit(
            Shard, params, mapper.bin_offsets_, dtrain.num_col(), dtrain.blocks.get(address),
            eval_blocks, n_threads, actor=True, workers=[address], allow_other_workers=False,
            pure=False,
        )  # fmt: skip
        futures.append(future)
    # The actor lives as long as its future is held: the group keeps both.
    actors = [future.result() for future in futures]
    return ShardGroup(client, actors, addresses, futures)


def _base_margin(p: dict, objective, shards: ShardGroup) -> np.ndarray:
    if p["base_score"] is not None:
        return objective.base_score_to_margin(p["base_score"])
    if objective.name in _MEAN_BASE:
        sums = shards.call("label_sums")
        total = sum(s[1] for s in sums)
        mean = float(sum(s[0] for s in sums) / total) if total > 0 else 0.0
        return objective.init_margin(np.array([mean]), None)
    summaries = shards.call("label_summary")
    if any(s is None for s in summaries):
        raise ValueError(
            f"objective={objective.name!r} starts from a quantile of all labels, which Dask "
            "training does not gather; set base_score"
        )
    values = np.concatenate([s[0] for s in summaries])
    weights = np.concatenate([s[1] for s in summaries])
    return objective.init_margin(values, weights)


def _combine(metric, reduction: str, shares: list) -> float:
    shares = [s for s in shares if s is not None]
    if reduction == "gather":
        y = np.concatenate([s[0] for s in shares])
        prediction = np.concatenate([s[1] for s in shares])
        weights = [s[2] for s in shares]
        w = None if all(x is None for x in weights) else np.concatenate(weights)
        return metric(y, prediction, w)
    total = sum(s[1] for s in shares)
    if total <= 0:
        return float("nan")
    if reduction == "mean":
        return float(sum(s[0] * s[1] for s in shares) / total)
    return float(np.sqrt(sum(s[0] ** 2 * s[1] for s in shares) / total))


def train(
    client: Any,
    params: dict[str, Any] | None,
    dtrain: DaskDataset,
    num_boost_round: int = 10,
    evals: Sequence[tuple[DaskDataset, str]] | None = None,
    early_stopping_rounds: int | None = None,
    callbacks: Sequence[TrainingCallback] | None = None,
    verbose_eval: bool | int = False,
    evals_result: dict | None = None,
    maximize: bool | None = None,
    stats: dict | None = None,
) -> Booster:
    """Train on a Dask cluster; the same parameters and result as :func:`treeboost.train`.

    Parameters
    ----------
    client : distributed.Client
    params : dict
        Training parameters. Not supported here: custom objectives, ranking and survival
        objectives, objectives that re-fit leaves to quantiles, ``booster='dart'``.
    dtrain : DaskDataset
    evals : list of (DaskDataset, name)
        Built with ``reference=dtrain`` (or ``dtrain`` itself).
    num_boost_round, early_stopping_rounds, callbacks, verbose_eval, evals_result, maximize
        As for :func:`treeboost.train`.
    stats : dict, optional
        Filled with what crossed the network: ``workers``, ``rounds``, ``calls`` and
        ``bytes_from_workers`` (histograms and counts the driver received).

    Returns
    -------
    Booster
        An ordinary in-memory model: predict with it here, or on the cluster with
        :func:`treeboost.dask.predict`.

    Raises
    ------
    WorkerLostError
        When a worker holding training rows leaves the cluster (naming the round).
    """
    if not isinstance(dtrain, DaskDataset):
        raise TypeError(f"dtrain must be a treeboost.dask.DaskDataset, got {type(dtrain).__name__}")
    if not dtrain.has_label:
        raise ValueError("dtrain has no label; pass label= when building the DaskDataset")
    if (
        isinstance(num_boost_round, bool)
        or not isinstance(num_boost_round, (int, np.integer))
        or num_boost_round < 0
    ):
        raise ValueError(f"num_boost_round={num_boost_round!r} must be an integer >= 0")
    user = dict(params or {})
    p = validate_params(user)
    if "max_bin" in user and p["max_bin"] != dtrain.max_bin:
        raise ValueError(
            f"parameter max_bin={p['max_bin']} differs from the DaskDataset's "
            f"max_bin={dtrain.max_bin}; set max_bin when building the DaskDataset"
        )
    p["max_bin"] = dtrain.max_bin
    objective = get_objective(p["objective"], p)
    _check_supported(p, objective)
    eval_list = _check_evals(evals, dtrain)

    callbacks = _standard_callbacks(callbacks, early_stopping_rounds, verbose_eval, maximize)
    if early_stopping_rounds is not None and not eval_list:
        raise ValueError("early_stopping_rounds needs at least one evaluation set in evals")
    remote_evals = [(data, name) for data, name in eval_list if data is not dtrain]
    shards = _place_shards(client, dtrain, remote_evals, p)
    try:
        model = _boost(p, objective, dtrain, eval_list, remote_evals, shards, num_boost_round,
                       callbacks, evals_result)  # fmt: skip
    finally:
        shards.close()
    if stats is not None:
        stats.update(shards.stats())
    return model


def _check_evals(evals, dtrain: DaskDataset) -> list:
    out = []
    for i, pair in enumerate(evals or []):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[1], str)):
            raise TypeError(f"evals[{i}] must be a (DaskDataset, name) pair")
        data, name = pair
        if not isinstance(data, DaskDataset):
            raise TypeError(
                f"evals[{i}] ({name!r}) must be a DaskDataset, got {type(data).__name__}"
            )
        if data.bin_mapper is not dtrain.bin_mapper:
            raise ValueError(
                f"evals[{i}] ({name!r}) has bins of its own; build it with reference=dtrain"
            )
        if not data.has_label:
            raise ValueError(f"evals[{i}] ({name!r}) has no label")
        out.append((data, name))
    return out


def _boost(p, objective, dtrain, eval_list, remote_evals, shards, num_boost_round, callbacks,
           evals_result) -> Booster:  # fmt: skip
    base = _base_margin(p, objective, shards)
    model = Booster(_model_params(p), objective, base, dtrain.feature_names, dtrain.feature_types)
    model.categories = dtrain.categories
    shards.call("start", base)
    mapper = dtrain.bin_mapper
    split, growth, categorical = grower_settings(p)
    grower = DistributedGrower(
        shards,
        mapper.bin_offsets_,
        mapper.bin_upper_bounds_,
        split,
        growth,
        resolve_constraints(
            p["monotone_constraints"], p["interaction_constraints"], dtrain.feature_names
        ),
        categorical=np.array([t == "c" for t in dtrain.feature_types], dtype=bool),
        categorical_params=categorical,
    )
    metrics = [get_metric(name, p) for name in metric_names(p, objective.default_metric)]
    eval_index = {id(data): i for i, (data, _) in enumerate(remote_evals)}
    n_total = dtrain.num_row()
    all_features = np.arange(dtrain.num_col(), dtype=np.int32)
    for cb in callbacks:
        model = cb.before_training(model) or model
    evals_log: EvalsLog = {}
    for epoch in range(int(num_boost_round)):
        if any(cb.before_iteration(model, epoch, evals_log) for cb in callbacks):
            break
        shards.round = epoch
        shards.rounds_run = epoch + 1
        draws_more = p["colsample_bylevel"] < 1.0 or p["colsample_bynode"] < 1.0
        rng = np.random.default_rng([p["random_state"], epoch]) if draws_more else None
        lr = float(model.params.get("learning_rate", p["learning_rate"])) / p["num_parallel_tree"]
        if lr != grower.split.learning_rate:
            grower.split = dataclasses.replace(grower.split, learning_rate=lr)
        shards.call("gradients")
        for t in range(p["num_parallel_tree"]):
            rows_key, columns_key = tree_stream_keys(p["random_state"], epoch, t)
            if p["subsample"] < 1.0:
                drawn = sum(shards.call("draw_rows", int(rows_key), p["subsample"]))
                if drawn == 0:
                    # As on one machine: the row chosen by the draw after the last row.
                    one = min(int(uniform_at(rows_key, n_total) * n_total), n_total - 1)
                    drawn = sum(shards.call("draw_one", one))
            else:
                drawn = sum(shards.call("draw_rows", None, 1.0))
            tree_features = draw_features(columns_key, all_features, p["colsample_bytree"],
                                          _EQUAL_CHANCES)  # fmt: skip
            for k in range(objective.n_outputs):
                model.append_tree(grower.grow_remote(k, drawn, tree_features, rng), k)
        for data, name in eval_list:
            index = -1 if data is dtrain else eval_index[id(data)]
            names = [m.name for m in metrics]
            shares = shards.call("scores", index, names) if names else []
            log = evals_log.setdefault(name, {})
            for j, metric in enumerate(metrics):
                value = _combine(metric, metric_reduction(metric.name), [s[j] for s in shares])
                log.setdefault(metric.name, []).append(value)
        if any([cb.after_iteration(model, epoch, evals_log) for cb in callbacks]):
            break
    shards.round = None
    for cb in callbacks:
        model = cb.after_training(model) or model
    if evals_result is not None:
        evals_result.clear()
        evals_result.update(evals_log)
    return model
