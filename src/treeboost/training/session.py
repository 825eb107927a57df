"""One training run's state: :class:`BoostingSession` holds the data, margins and trees so far
and boosts one round at a time; :func:`treeboost.train` and :func:`treeboost.cv` drive it.

Each round: objective -> gradient pairs -> one tree per output (grower) -> training margins
updated from the tree's leaf segments -> evaluation margins updated from the new trees.
The session talks to the binned rows only through their :class:`~treeboost.tree.matrix.
BinnedMatrix` interface, so it never branches on dense, sparse or categorical data.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..data import Dataset
from ..kernels.partition import add_leaf_values
from ..kernels.quantize import quantization_key
from ..kernels.sampling import draw_features, draw_rows, tree_stream_keys
from ..metrics import Metric, get_metric
from ..model.booster import Booster
from ..model.forest import add_tree_margin_raw
from ..model.model_file import RUNTIME_PARAMS
from ..model.params import numba_threads, resolve_n_threads, threads_for_rows, validate_params
from ..objectives import CustomObjective, get_objective
from ..objectives.regression import weighted_quantile
from ..tree.constraints import resolve_constraints
from ..tree.grower import TreeGrower
from ..tree.matrix import BinnedMatrix, binned_matrix
from ..tree.split import CategoricalParams, GrowthParams, SplitParams
from ..tree.tree import Tree
from .callbacks import EvalsLog
from .threads import RoundThreads

CustomMetric = Callable[[np.ndarray, Dataset], Any]


@dataclasses.dataclass
class _DartRound:
    dropped: np.ndarray  # indices of the rounds left out of this round's gradients
    new_weight: float  # scale of the new trees
    drop_factor: float  # scale applied to the dropped trees afterwards
    train_part: np.ndarray  # the dropped trees' share of the training margins
    eval_parts: list  # ... and of each evaluation set's margins


class _EvalSet:
    """An evaluation Dataset with its cached margins, updated tree by tree: through its binned
    rows when it shares the training bins, else by walking its raw rows."""

    def __init__(self, data: Dataset, name: str, margin: np.ndarray, binned_ok: bool):
        self.data = data
        self.name = name
        self.margin = margin
        self.binned_ok = binned_ok
        self.bins: BinnedMatrix | None = None  # set once the training bins exist

    def add_tree(self, tree: Tree, output: int, margin: np.ndarray) -> None:
        if self.bins is not None:
            self.bins.add_tree(tree, output, margin)
        else:
            add_tree_margin_raw(tree, output, self.data.raw, margin)


def _model_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters the model keeps: all but ``n_jobs`` and ``device``, properties of the run (the
    same seed gives the same model file whatever the thread count or device)."""
    return {name: value for name, value in params.items() if name not in RUNTIME_PARAMS}


def check_dataset(data: Any, what: str) -> Dataset:
    if not isinstance(data, Dataset):
        raise TypeError(f"{what} must be a treeboost.Dataset, got {type(data).__name__}")
    if data.label is None:
        if data.label_lower_bound is None:
            raise ValueError(f"{what} has no label; pass label= when building the Dataset")
        # Interval-censored survival data: the bounds are the targets; the lower bound stands
        # in as the label wherever one row value is asked for.
        data.label = data.label_lower_bound
    return data


def grower_settings(p: dict[str, Any]) -> tuple[SplitParams, GrowthParams, CategoricalParams]:
    """The grower's settings from validated training parameters."""
    split = SplitParams(
        reg_lambda=p["reg_lambda"],
        reg_alpha=p["reg_alpha"],
        gamma=p["gamma"],
        min_child_weight=p["min_child_weight"],
        max_delta_step=p["max_delta_step"] or 0.0,
        learning_rate=p["learning_rate"] / p["num_parallel_tree"],
    )
    growth = GrowthParams(
        grow_policy=p["grow_policy"],
        max_depth=p["max_depth"],
        max_leaves=p["max_leaves"],
        colsample_bylevel=p["colsample_bylevel"],
        colsample_bynode=p["colsample_bynode"],
        grad_quant_levels=p["num_grad_quant_bins"] if p["use_quantized_grad"] else 0,
    )
    categorical = CategoricalParams(
        max_cat_to_onehot=p["max_cat_to_onehot"],
        max_cat_threshold=p["max_cat_threshold"],
        cat_smooth=p["cat_smooth"],
        cat_l2=p["cat_l2"],
        min_data_per_group=p["min_data_per_group"],
    )
    return split, growth, categorical


def metric_names(params: dict[str, Any], default: str) -> list[str]:
    value = params["eval_metric"]
    if value is None:
        return [default] if default else []
    return [value] if isinstance(value, str) else list(value)


class BoostingSession:
    """State of one training run: data, margins, trees so far. ``train`` and ``cv`` drive it."""

    def __init__(
        self,
        params: dict[str, Any] | None,
        dtrain: Dataset,
        evals: Sequence[tuple[Dataset, str]] | None = None,
        obj: Callable | None = None,
        custom_metric: CustomMetric | None = None,
        init_model: Booster | None = None,
    ):
        user_params = dict(params or {})
        self.params = p = validate_params(user_params)
        self.dtrain = check_dataset(dtrain, "dtrain")
        if "max_bin" in user_params and p["max_bin"] != dtrain.max_bin:
            raise ValueError(
                f"parameter max_bin={p['max_bin']} differs from the Dataset's "
                f"max_bin={dtrain.max_bin}; set max_bin when building the Dataset"
            )
        # The model records the binning its split_bin values refer to.
        p["max_bin"] = dtrain.max_bin
        if obj is not None:
            if not callable(obj):
                raise TypeError(f"obj={obj!r} must be a callable returning (grad, hess)")
            p["objective"] = obj
        if dtrain.label is not None and dtrain.label.ndim == 2:
            n_targets = dtrain.label.shape[1]
            if p["objective"] != "reg:squarederror":
                raise ValueError(
                    f"a 2-d label ({n_targets} targets) needs objective='reg:squarederror'; "
                    f"got objective={p['objective']!r}"
                )
            if p["num_target"] not in (0, n_targets):
                raise ValueError(
                    f"num_target={p['num_target']} does not match the label's {n_targets} columns"
                )
            p["num_target"] = n_targets
        self.objective = get_objective(p["objective"], p)
        if isinstance(self.objective, CustomObjective):
            self.objective.dataset = dtrain
        y, w = dtrain.label, dtrain.weight
        self.objective.bind(dtrain)
        self.objective.validate_labels(y, w)
        max_threads = resolve_n_threads(p["n_jobs"])
        self.n_threads = threads_for_rows(max_threads, dtrain.num_row())
        self.round_threads = RoundThreads(max_threads, dtrain.num_row())
        self.k = k = self.objective.n_outputs

        if init_model is not None:
            self.booster = self._continue_from(init_model)
        else:
            if p["base_score"] is not None:
                base = self.objective.base_score_to_margin(p["base_score"])
            else:
                base = self.objective.init_margin(y, w)
            self.booster = Booster(
                _model_params(p), self.objective, base, dtrain.feature_names, dtrain.feature_types
            )
            self.booster.categories = list(dtrain.categories)
        self.train_margin = self._initial_margin(dtrain)

        self.metrics: list[Metric] = [
            get_metric(name, p) for name in metric_names(p, self.objective.default_metric)
        ]
        self.custom_metric = custom_metric
        self.eval_sets: list[_EvalSet] = []
        for i, pair in enumerate(evals or []):
            if not (
                isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[1], str)
            ):
                raise TypeError(f"evals[{i}] must be a (Dataset, name) pair")
            data, name = pair
            check_dataset(data, f"evals[{i}] ({name!r})")
            if data.num_col() != dtrain.num_col():
                raise ValueError(
                    f"evals[{i}] ({name!r}) has {data.num_col()} features; the "
                    f"training data has {dtrain.num_col()}"
                )
            if data is dtrain:
                self.eval_sets.append(_EvalSet(data, name, self.train_margin, True))
            else:
                binned_ok = data.bin_mapper is dtrain.bin_mapper
                self.eval_sets.append(_EvalSet(data, name, self._initial_margin(data), binned_ok))

        with numba_threads(self.n_threads):  # binning runs on first access
            mapper = dtrain.bin_mapper
            if p["device"] == "cuda":
                # Imported here: numba.cuda loads only for runs that ask for the GPU.
                from ..tree.gpu import cuda_binned_matrix

                self.train_bins = cuda_binned_matrix(dtrain.binned, mapper.bin_offsets_)
            else:
                self.train_bins = binned_matrix(dtrain.binned, mapper.bin_offsets_)
            for es in self.eval_sets:
                if es.binned_ok:
                    es.bins = binned_matrix(es.data.binned, mapper.bin_offsets_)
        constraints = resolve_constraints(
            p["monotone_constraints"], p["interaction_constraints"], dtrain.feature_names
        )
        self.refresh_alphas = self.objective.leaf_refresh_alphas()
        if constraints.monotone is not None and self.refresh_alphas is not None:
            raise ValueError(
                f"monotone_constraints cannot be combined with objective={self.objective.name!r}: "
                "its leaves are re-fitted to residual quantiles after growth, which can undo the "
                "ordering the constraint imposes"
            )
        split_params, growth_params, categorical_params = grower_settings(p)
        grower_class = TreeGrower
        # The device matrix computes the round's gradient pairs where it can (tree/gpu.py).
        self._device_gradients = None
        if p["device"] == "cuda":
            from ..tree.gpu import CudaTreeGrower

            grower_class = CudaTreeGrower
            self._device_gradients = self.train_bins.gradients
        self.grower = grower_class(
            self.train_bins,
            mapper.bin_upper_bounds_,
            split_params,
            growth_params,
            constraints,
            categorical=np.array([t == "c" for t in dtrain.feature_types], dtype=bool),
            categorical_params=categorical_params,
        )
        self.grower.prune_features = not isinstance(self.objective, CustomObjective)
        self.feature_weights = dtrain.feature_weights
        self._feature_chances = (
            np.zeros(0, dtype=np.float64)
            if self.feature_weights is None
            else np.ascontiguousarray(self.feature_weights, dtype=np.float64)
        )
        self._draws_more = (
            self.params["booster"] == "dart"
            or self.params["colsample_bylevel"] < 1.0
            or self.params["colsample_bynode"] < 1.0
        )
        self.dart_weights: list[float] = []
        n = dtrain.num_row()
        self.gh = np.empty((k, n, 2), dtype=np.float32)
        self.all_features = np.arange(dtrain.num_col(), dtype=np.int32)
        self.all_rows = np.arange(n, dtype=np.int32)

    def _continue_from(self, init_model: Booster) -> Booster:
        if not isinstance(init_model, Booster):
            raise TypeError(f"init_model must be a Booster, got {type(init_model).__name__}")
        if init_model.objective.name != self.objective.name or init_model.n_outputs != self.k:
            raise ValueError(
                f"init_model was trained with objective "
                f"{init_model.objective.name!r} ({init_model.n_outputs} outputs); "
                f"this run uses {self.objective.name!r} ({self.k} outputs)"
            )
        if init_model.n_features != self.dtrain.num_col():
            raise ValueError(
                f"init_model expects {init_model.n_features} features; dtrain has "
                f"{self.dtrain.num_col()}"
            )
        booster = init_model.truncated(init_model.num_boosted_rounds())
        booster.objective = self.objective
        booster.params = _model_params(self.params)
        booster.best_iteration = booster.best_score = None
        return booster

    def _initial_margin(self, data: Dataset) -> np.ndarray:
        with numba_threads(self.n_threads):
            return self.booster.predict_margin_matrix(
                data.raw, 0, self.booster.num_trees(), data.base_margin
            )

    # -- one round -------------------------------------------------------------------------
    def _round_rng(self) -> np.random.Generator | None:
        """The generator of the next round's draws other than row and column sampling per tree
        (DART's drops, per-level and per-node column sampling), a function of the seed and the
        round number only: training resumed from a checkpoint draws what an uninterrupted run
        would. None when the round draws nothing else."""
        p = self.params
        if not self._draws_more:
            return None
        epoch = self.booster.num_boosted_rounds()
        return np.random.default_rng([p["random_state"], epoch])

    def _sync_learning_rate(self) -> None:
        """Pick up a learning rate changed on the model between rounds (a scheduler callback)."""
        lr = self.booster.params.get("learning_rate", self.params["learning_rate"])
        lr = float(lr) / self.params["num_parallel_tree"]
        if lr != self.grower.split.learning_rate:
            self.grower.split = dataclasses.replace(self.grower.split, learning_rate=lr)

    def _add_tree_to_eval_sets(self, tree, k: int, scale: float = 1.0) -> None:
        for es in self.eval_sets:
            if es.margin is self.train_margin:
                continue
            self._add_tree_to(es, tree, k, es.margin, scale)

    def _add_tree_to(self, es: _EvalSet, tree, k: int, margin: np.ndarray, scale: float) -> None:
        if scale != 1.0:
            tree = dataclasses.replace(tree, value=tree.value * scale)
        es.add_tree(tree, k, margin)

    def _refresh_leaves(self, grown, k: int, sample_indices: np.ndarray) -> None:
        """Set each leaf to the objective's quantile of its rows' residuals (times the
        learning rate): the exact line search of the absolute and pinball losses."""
        alpha = float(self.refresh_alphas[k])
        y = self.dtrain.label
        w = self.dtrain.weight
        lr = self.grower.split.learning_rate
        tree = grown.tree
        for start, end, node in zip(grown.leaf_starts, grown.leaf_ends, grown.leaf_nodes):
            rows = sample_indices[start:end]
            residual = y[rows] - self.train_margin[rows, k]
            q = weighted_quantile(residual, None if w is None else w[rows], alpha)
            tree.value[node] = lr * q
        grown.leaf_values = tree.value[grown.leaf_nodes].astype(np.float64)

    def boost_one_round(self) -> None:
        threads = self.round_threads.current()
        start = time.perf_counter()
        with numba_threads(threads):
            self._boost_one_round(threads)
        self.round_threads.record(threads, time.perf_counter() - start)

    def _boost_one_round(self, n_threads: int) -> None:
        p = self.params
        rng = self._round_rng()
        self._sync_learning_rate()
        dart = self._dart_drop(rng) if p["booster"] == "dart" else None
        if self._device_gradients is None:
            self.objective.gradient_hessian(
                self.dtrain.label, self.train_margin, self.dtrain.weight, self.gh, n_threads
            )
        else:
            self._device_gradients(
                self.objective,
                self.dtrain.label,
                self.train_margin,
                self.dtrain.weight,
                self.gh,
                n_threads,
            )
        epoch = self.booster.num_boosted_rounds()
        for t in range(p["num_parallel_tree"]):
            subsampled = p["subsample"] < 1.0
            left_out = None
            colsampled = p["colsample_bytree"] < 1.0
            rows, tree_features = self.all_rows, self.all_features
            if subsampled or colsampled:
                rows_key, columns_key = tree_stream_keys(p["random_state"], epoch, t)
                if subsampled:
                    rows, left_out = draw_rows(rows_key, self.dtrain.num_row(), p["subsample"])
                if colsampled:
                    tree_features = draw_features(
                        columns_key, self.all_features, p["colsample_bytree"], self._feature_chances
                    )
            for k in range(self.k):
                sample_indices = rows.copy()
                # The grower updates the training margins of the rows it grew the tree on
                # from its own partition; rows a subsampled round left out take a walk of the
                # new tree. Leaves re-fitted after growth, and DART's rescaling, update the
                # margins here instead.
                fused = self.refresh_alphas is None and dart is None
                quant_key = (
                    quantization_key(p["random_state"], epoch, t, k)
                    if p["use_quantized_grad"]
                    else 0
                )
                grown = self.grower.grow(
                    self.gh[k],
                    sample_indices,
                    tree_features,
                    rng,
                    margin=self.train_margin if fused else None,
                    output=k,
                    feature_weights=self.feature_weights,
                    left_out=left_out if fused else None,
                    quant_key=quant_key,
                )
                tree = grown.tree
                if self.refresh_alphas is not None:
                    self._refresh_leaves(grown, k, sample_indices)
                if dart is not None:
                    tree.value *= dart.new_weight
                if not fused:
                    if subsampled or dart is not None:
                        self.train_bins.add_tree(tree, k, self.train_margin)
                    else:
                        add_leaf_values(
                            self.train_margin,
                            k,
                            sample_indices,
                            grown.leaf_starts,
                            grown.leaf_ends,
                            grown.leaf_values,
                        )
                self.booster.append_tree(tree, k)
                self._add_tree_to_eval_sets(tree, k)
        if dart is not None:
            self._dart_rescale(dart)

    # -- DART --------------------------------------------------------------------------------
    def _dart_drop(self, rng: np.random.Generator):
        """Choose this round's dropped rounds and take their trees out of the training margins
        (the new trees are fitted to what the remaining ensemble misses)."""
        p = self.params
        n_rounds = self.booster.num_boosted_rounds()
        per_round = self.booster.trees_per_round
        # Rounds inherited from an init_model count with weight 1 (their history is not stored).
        self.dart_weights.extend([1.0] * (n_rounds - len(self.dart_weights)))
        dropped = np.empty(0, dtype=np.int64)
        if n_rounds and not (p["skip_drop"] > 0 and rng.random() < p["skip_drop"]):
            if p["sample_type"] == "weighted":
                weights = np.asarray(self.dart_weights[:n_rounds], dtype=np.float64)
                prob = np.minimum(1.0, p["rate_drop"] * n_rounds * weights / weights.sum())
            else:
                prob = np.full(n_rounds, p["rate_drop"])
            dropped = np.flatnonzero(rng.random(n_rounds) < prob)
            if dropped.size == 0 and p["one_drop"]:
                dropped = np.array([rng.integers(n_rounds)])
        lr = float(self.booster.params.get("learning_rate", p["learning_rate"]))
        n_drop = dropped.size
        if n_drop == 0:
            new_weight, drop_factor = 1.0, 1.0
        elif p["normalize_type"] == "forest":
            new_weight = drop_factor = 1.0 / (1.0 + lr)
        else:
            new_weight, drop_factor = 1.0 / (n_drop + lr), n_drop / (n_drop + lr)
        # Contribution of the dropped trees to the training and evaluation margins.
        train_part = np.zeros_like(self.train_margin)
        eval_parts = [np.zeros_like(es.margin) for es in self.eval_sets]
        for r in dropped:
            for t in range(r * per_round, (r + 1) * per_round):
                tree, k = self.booster.trees[t], self.booster.tree_outputs[t]
                self.train_bins.add_tree(tree, k, train_part)
                for es, part in zip(self.eval_sets, eval_parts):
                    if es.margin is not self.train_margin:
                        self._add_tree_to(es, tree, k, part, 1.0)
        self.train_margin -= train_part
        return _DartRound(dropped, new_weight, drop_factor, train_part, eval_parts)

    def _dart_rescale(self, dart) -> None:
        """Scale the dropped trees by ``drop_factor`` and put them back into the margins."""
        per_round = self.booster.trees_per_round
        self.dart_weights.append(dart.new_weight)
        if dart.dropped.size == 0:
            return
        for r in dart.dropped:
            self.dart_weights[r] *= dart.drop_factor
            for t in range(r * per_round, (r + 1) * per_round):
                self.booster.trees[t].value *= dart.drop_factor
        self.booster._forest_cache = None
        self.train_margin += dart.drop_factor * dart.train_part
        for es, part in zip(self.eval_sets, dart.eval_parts):
            if es.margin is not self.train_margin:
                es.margin += (dart.drop_factor - 1.0) * part

    def evaluate(self, evals_log: EvalsLog) -> None:
        """Append this round's scores of every evaluation set to ``evals_log``."""
        for es in self.eval_sets:
            log = evals_log.setdefault(es.name, {})
            if not self.metrics and self.custom_metric is None:
                continue
            prediction = self.objective.eval_transform(es.margin)
            for metric in self.metrics:
                log.setdefault(metric.name, []).append(
                    metric(es.data.label, prediction, es.data.weight, es.data)
                )
            if self.custom_metric is not None:
                if isinstance(self.objective, CustomObjective):
                    prediction = es.margin[:, 0] if self.k == 1 else es.margin
                for name, value in _custom_scores(self.custom_metric(prediction, es.data)):
                    log.setdefault(name, []).append(value)


def _custom_scores(result: Any) -> list[tuple[str, float]]:
    pairs = result if isinstance(result, list) else [result]
    out = []
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise TypeError(
                f"custom_metric must return (name, value) or a list of them; got {pair!r}"
            )
        out.append((pair[0], float(pair[1])))
    return out
