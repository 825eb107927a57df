"""Surrogate search: a treeboost regressor fitted on every measured configuration predicts the
score of unmeasured ones, the way compiler auto-tuners use a boosted cost model."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .base import Strategy, check_fraction, check_int

# The cost model: small and quick, refitted after every batch; one thread, fixed seeds.
MODEL_PARAMS = {
    "objective": "reg:squarederror",
    "learning_rate": 0.15,
    "max_depth": 4,
    "min_child_weight": 1.0,
    "reg_lambda": 1.0,
    "subsample": 0.8,
    "n_jobs": 1,
}
MODEL_ROUNDS = 60
ACQUISITIONS = ("mean", "sample")


def standardize(utilities: np.ndarray) -> np.ndarray:
    """Utilities on one scale for every problem (mean 0, sd 1); a failed measurement (-inf)
    counts as the worst finite one, so it steers the model away without dominating it."""
    values = np.asarray(utilities, dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(len(values))
    values = np.where(finite, values, values[finite].min())
    sd = values.std()
    return (values - values.mean()) / (sd if sd > 0 else 1.0)


def _check_prior(prior: Any) -> list[dict[str, Any]]:
    if prior is None:
        return []
    if isinstance(prior, Mapping) or not isinstance(prior, Sequence):
        raise TypeError(
            "prior is not valid; valid: a list of records "
            "{'config': dict, 'score': float, 'descriptors': dict}"
        )
    records = []
    for i, record in enumerate(prior):
        if not isinstance(record, Mapping) or not {"config", "score"} <= set(record):
            raise ValueError(f"prior[{i}]={record!r} needs the keys 'config' and 'score'")
        descriptors = dict(record.get("descriptors") or {})
        for name, value in descriptors.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise TypeError(f"prior[{i}] descriptor {name!r}={value!r} must be a number")
        records.append({**record, "descriptors": descriptors})
    return records


class SurrogateSearch(Strategy):
    """Boosted-surrogate (model-based) search.

    The first ``n_initial`` configurations are random (the warm-up). After that, each round
    fits a small treeboost regressor to every measured configuration (features: the encoded
    parameters, NaN for inactive ones; target: the standardized score), predicts a pool of
    candidates and proposes a batch of ``batch_size``:

    * exploitation: the best prediction among candidates within ``trust_radius`` (unit
      coordinates) of the best measured configuration, where the model has data to trust
      (``trust_radius=None``: anywhere); ties, common with trees, are broken at random;
    * exploration: with probability ``epsilon`` per slot, a random candidate from the whole
      pool instead;
    * diversity: each pick at least ``min_distance`` from the others in the batch.

    The pool is the whole space when it is finite and has at most ``n_candidates`` unmeasured
    points; otherwise ``n_candidates`` random configurations plus, for annealing, mutations of
    the ``n_local`` best measured configurations at shrinking step sizes.

    Parameters
    ----------
    n_models : int
        With more than one, the cost model is a bagged ensemble (Poisson bootstrap weights);
        ``acquisition="mean"`` ranks by the ensemble mean, ``"sample"`` gives each batch slot
        its own member (Thompson-like sampling).
    prior : list of dict, optional
        Measurements of related problems (other data sets, other models) to warm-start the cost
        model: records ``{"config": {...}, "score": float, "descriptors": {"name": number}}``.
        Scores are standardized within each problem (records with equal descriptors) and they
        enter the model with weight ``prior_weight`` (the target's own measurements weigh 1).
        With a prior the random warm-up shrinks to ``max(1, n_initial // 4)`` and the trust
        region is centred on the prior's best configuration until the target has one.
    descriptors : dict, optional
        The descriptors of the target problem, so the model can tell it apart from the prior's.
    """

    name = "surrogate"

    def __init__(
        self,
        space,
        *,
        n_initial: int = 5,
        batch_size: int = 2,
        n_candidates: int = 1000,
        n_local: int = 5,
        epsilon: float = 0.1,
        trust_radius: float | None = 0.5,
        min_distance: float = 0.0,
        n_models: int = 1,
        acquisition: str = "mean",
        prior: Sequence[Mapping[str, Any]] | None = None,
        descriptors: Mapping[str, float] | None = None,
        prior_weight: float = 0.3,
        **kwargs,
    ):
        super().__init__(space, **kwargs)
        self.n_initial = check_int("n_initial", n_initial, 1)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.n_candidates = check_int("n_candidates", n_candidates, 1)
        self.n_local = check_int("n_local", n_local, 0)
        self.epsilon = check_fraction("epsilon", epsilon)
        if trust_radius is not None:
            trust_radius = check_fraction("trust_radius", trust_radius, 0.0, math.inf)
        self.trust_radius = trust_radius
        self.min_distance = check_fraction("min_distance", min_distance, 0.0, math.inf)
        self.n_models = check_int("n_models", n_models, 1)
        if acquisition not in ACQUISITIONS:
            raise ValueError(
                f"acquisition={acquisition!r} is not valid; valid: {', '.join(ACQUISITIONS)}"
            )
        self.acquisition = acquisition
        self.prior_weight = check_fraction("prior_weight", prior_weight)
        self.prior = _check_prior(prior)
        self.descriptors = dict(descriptors or {})
        for name, value in self.descriptors.items():
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise TypeError(f"descriptor {name!r}={value!r} must be a number")
        self._descriptor_names = sorted(
            set(self.descriptors).union(*(r["descriptors"] for r in self.prior))
        )
        for record in self.prior:  # fail now, not in the middle of a search
            record["config"] = self.space.validate(record["config"])
        if self.prior:
            self.n_initial = max(1, self.n_initial // 4)
        self._queue: list[dict[str, Any]] = []
        self.n_rounds = 0
        self._all_points: list[dict[str, Any]] | None = None
        self._all_features: np.ndarray | None = None

    # -- the cost model --------------------------------------------------------------------------
    def _features(self, configs: Sequence[Mapping], descriptors: Mapping[str, float]) -> np.ndarray:
        X = self.space.encode(configs)
        if self._descriptor_names:
            d = [float(descriptors.get(n, np.nan)) for n in self._descriptor_names]
            X = np.hstack([X, np.tile(d, (len(configs), 1))])
        return X

    def _prior_problems(self) -> list[list[dict[str, Any]]]:
        problems: dict[tuple, list[dict]] = {}
        for record in self.prior:
            problems.setdefault(tuple(sorted(record["descriptors"].items())), []).append(record)
        return list(problems.values())

    def _training_set(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        measured = self.measured()
        configs = [c for c, _ in measured]
        X = [self._features(configs, self.descriptors)]
        y = [standardize(np.array([u for _, u in measured]))]
        w = [np.ones(len(configs))]
        for records in self._prior_problems():
            utilities = np.array([self.utility(float(r["score"])) for r in records])
            X.append(self._features([r["config"] for r in records], records[0]["descriptors"]))
            y.append(standardize(utilities))
            w.append(np.full(len(records), self.prior_weight))
        return np.vstack(X), np.concatenate(y), np.concatenate(w)

    def _fit_models(self) -> list:
        """One cost model, or ``n_models`` fitted on bootstrap resamples (Poisson weights)."""
        from ...data import Dataset
        from ...training.engine import train

        X, y, w = self._training_set()
        models = []
        for member in range(self.n_models):
            weight = w
            if self.n_models > 1:
                resampled = w * self.rng.poisson(1.0, len(w))
                weight = resampled if resampled.sum() > 0 else w
            params = {**MODEL_PARAMS, "random_state": self.n_rounds * self.n_models + member}
            dtrain = Dataset(X, label=y, weight=weight)
            models.append(train(params, dtrain, num_boost_round=MODEL_ROUNDS))
        return models

    # -- candidates --------------------------------------------------------------------------------
    def _centre(self) -> dict[str, Any] | None:
        """Centre of the trust region: the best measured configuration (or the prior's)."""
        best = self.best_measured()
        if best is not None and math.isfinite(best[1]):
            return best[0]
        if self.prior:
            record = max(self.prior, key=lambda r: self.utility(float(r["score"])))
            return record["config"]
        return None

    def _pool(self) -> tuple[list[dict[str, Any]], np.ndarray]:
        """Unmeasured candidates and their features."""
        size = self.space.size()
        if size is not None and size - len(self.cache) <= self.n_candidates:
            if self._all_points is None:  # a small finite space: the pool is all of it
                self._all_points = list(self.space.points())
                self._all_features = self._features(self._all_points, self.descriptors)
            free = np.array([not self.known(self.space.key(c)) for c in self._all_points])
            pool = [c for c, f in zip(self._all_points, free) if f]
            return pool, self._all_features[free]
        pool: dict[Any, dict[str, Any]] = {}
        for _ in range(self.n_candidates):
            config = self.space.sample(self.rng)
            pool.setdefault(self.space.key(config), config)
        best = sorted(self.measured(), key=lambda cu: -cu[1])[: self.n_local]
        per_step = max(1, self.n_candidates // max(4 * len(best), 1))
        for config, _ in best:
            for scale in (0.2, 0.1, 0.05, 0.02):  # annealed: ever smaller steps around the best
                for _ in range(per_step):
                    child = dict(config)
                    for name in child:
                        if self.rng.random() < 0.5:
                            child[name] = self.space.params[name].mutate(
                                child[name], self.rng, scale
                            )
                    child = self.space.repair(child, self.rng)
                    pool.setdefault(self.space.key(child), child)
        configs = [c for k, c in pool.items() if not self.known(k)]
        return configs, self._features(configs, self.descriptors)

    def _next_batch(self) -> list[dict[str, Any]]:
        pool, features = self._pool()
        if not pool:
            return []
        predictions = np.array([model.predict(features) for model in self._fit_models()])
        if self.acquisition == "mean":
            predictions = predictions.mean(axis=0, keepdims=True)
        self.n_rounds += 1
        trusted = np.ones(len(pool), dtype=bool)
        centre = self._centre()
        if self.trust_radius is not None and centre is not None:
            trusted = self.space.distances(pool, [centre])[:, 0] <= self.trust_radius
        batch: list[dict[str, Any]] = []
        free = np.ones(len(pool), dtype=bool)
        for slot in range(min(self.batch_size, len(pool))):
            if self.rng.random() < self.epsilon:
                candidates = np.flatnonzero(free)
                position = int(candidates[int(self.rng.integers(len(candidates)))])
            else:
                candidates = np.flatnonzero(free & trusted)
                if len(candidates) == 0:
                    candidates = np.flatnonzero(free)
                # slot k follows model k under "sample"; random tie-breaking
                predicted = predictions[slot % len(predictions)][candidates]
                order = np.lexsort((self.rng.random(len(candidates)), -predicted))
                position = int(candidates[order[0]])
                if self.min_distance > 0 and batch:
                    for index in candidates[order]:
                        if self.space.distances([pool[index]], batch).min() >= self.min_distance:
                            position = int(index)
                            break
            free[position] = False
            batch.append(pool[position])
        return batch

    # -- ask/tell ----------------------------------------------------------------------------------
    def _propose(self) -> dict[str, Any] | None:
        if self.exhausted():
            return None
        if len(self.cache) + len(self._pending) < self.n_initial:
            return self.sample_unseen()  # the random warm-up
        while self._queue:
            config = self._queue.pop(0)
            if not self.known(self.space.key(config)):
                return config
        if not any(math.isfinite(u) for _, u in self.measured()) and not self.prior:
            return self.sample_unseen()  # nothing but failures so far: a model cannot help
        self._queue = self._next_batch()
        return self._queue.pop(0) if self._queue else self.sample_unseen()

    def state(self) -> dict[str, Any]:
        return {"phase": "warmup" if self.n_rounds == 0 else "model", "round": self.n_rounds}
