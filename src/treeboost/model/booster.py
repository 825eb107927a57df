"""Booster: the trained model. Trees, objective and feature info; predict, importance, save/load."""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import numpy as np

from ..data.sparse import as_csr, is_sparse
from ..objectives import Objective
from ..tree.tree import Tree
from .forest import CSR_BLOCK_VALUES, Forest
from .params import _device, trees_per_round
from .survival import BaselineHazard, survival_probabilities

IMPORTANCE_TYPES = ("weight", "gain", "cover", "total_gain", "total_cover")


class Booster:
    """A trained gradient boosted tree ensemble.

    Built by :func:`treeboost.train` or :meth:`load_model`. Rounds hold one tree per output
    (``n_outputs`` trees per round for multiclass).
    """

    def __init__(
        self,
        params: dict[str, Any],
        objective: Objective,
        base_margin: np.ndarray,
        feature_names: list[str],
        feature_types: list[str],
    ):
        self.params = dict(params)
        self.objective = objective
        self.n_outputs = int(objective.n_outputs)
        self.base_margin = np.asarray(base_margin, dtype=np.float64).reshape(self.n_outputs)
        self.feature_names = list(feature_names)
        self.feature_types = list(feature_types)
        # Per feature, the category labels in code order (None for numeric features).
        self.categories: list[list | None] = [None] * len(self.feature_names)
        self.trees: list[Tree] = []
        self.tree_outputs: list[int] = []
        self.best_iteration: int | None = None
        self.best_score: float | None = None
        # A Cox model's Breslow baseline hazard (set by train()), for survival curves.
        self.survival_baseline: BaselineHazard | None = None
        self._forest_cache: Forest | None = None

    # -- construction ----------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def append_tree(self, tree: Tree, output: int) -> None:
        value = tree.value
        if not (math.isfinite(float(value.max())) and math.isfinite(float(value.min()))):
            # A model holding it would predict NaN or infinity for every row reaching the leaf.
            raise ValueError(
                f"round {len(self.trees) // self.trees_per_round} of objective "
                f"{self.objective.name!r} gave non-finite leaf values (its float32 gradients "
                f"overflowed; learning_rate={self.params.get('learning_rate')!r}, "
                f"base_score={self.params.get('base_score')!r}): lower learning_rate, bring "
                "base_score nearer the labels, set max_delta_step, or rescale the labels"
            )
        self.trees.append(tree)
        self.tree_outputs.append(int(output))
        self._forest_cache = None

    @property
    def trees_per_round(self) -> int:
        """Trees added per boosting round: one per output, times ``num_parallel_tree``."""
        return trees_per_round(self.n_outputs, self.params)

    def num_boosted_rounds(self) -> int:
        """Number of boosting rounds held."""
        return len(self.trees) // self.trees_per_round

    def set_param(self, name: str | dict, value: Any = None) -> None:
        """Change a training parameter recorded in the model (e.g. ``learning_rate`` between
        rounds, which :func:`treeboost.train` picks up for the next round)."""
        from .params import VALIDATORS, unknown_parameter_message

        updates = name if isinstance(name, dict) else {name: value}
        for key, val in updates.items():
            if key not in VALIDATORS:
                raise ValueError(unknown_parameter_message(str(key)))
            self.params[key] = VALIDATORS[key](val)

    def __getitem__(self, index: slice | int) -> Booster:
        """Rounds ``index`` (a slice with step 1, or one round) as a new Booster.

        The slice keeps the base margin, so ``booster[a:b].predict(X, output_margin=True)``
        equals ``booster.predict(X, output_margin=True, iteration_range=(a, b))``.
        """
        n_rounds = self.num_boosted_rounds()
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            i = int(index) + (n_rounds if index < 0 else 0)
            if not 0 <= i < n_rounds:
                raise IndexError(f"round {index} is out of range for {n_rounds} rounds")
            index = slice(i, i + 1)
        if not isinstance(index, slice):
            raise TypeError(f"a Booster is indexed by rounds: an int or a slice, got {index!r}")
        start, stop, step = index.indices(n_rounds)
        if step != 1:
            raise ValueError(f"slicing a Booster needs step 1; got step={index.step!r}")
        stop = max(start, stop)
        per = self.trees_per_round
        out = copy.copy(self)
        out.params = dict(self.params)
        out.trees = [copy.deepcopy(t) for t in self.trees[start * per : stop * per]]
        out.tree_outputs = list(self.tree_outputs[start * per : stop * per])
        out._forest_cache = None
        out.best_iteration = out.best_score = None
        out.survival_baseline = None  # fitted for the whole model, not for a part of it
        return out

    def num_trees(self) -> int:
        return len(self.trees)

    def num_features(self) -> int:
        return self.n_features

    def set_best(self, iteration: int, score: float | None) -> None:
        self.best_iteration = int(iteration)
        self.best_score = None if score is None else float(score)

    def copy(self) -> Booster:
        return copy.deepcopy(self)

    def truncated(self, n_rounds: int) -> Booster:
        """A copy holding only the first ``n_rounds`` rounds."""
        out = copy.copy(self)
        k = self.trees_per_round
        out.params = dict(self.params)
        out.trees = list(self.trees[: n_rounds * k])
        out.tree_outputs = list(self.tree_outputs[: n_rounds * k])
        out._forest_cache = None
        out.survival_baseline = None
        if out.best_iteration is not None and out.best_iteration >= n_rounds:
            out.best_iteration = n_rounds - 1
        return out

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_forest_cache"] = None
        return state

    # -- prediction ------------------------------------------------------------------------
    def _forest(self) -> Forest:
        """All trees in the prediction layout of kernels/predict.py (cached until a tree is
        added)."""
        if self._forest_cache is None:
            self._forest_cache = Forest.build(self.trees, self.tree_outputs)
        return self._forest_cache

    def _tree_range(self, iteration_range: tuple[int, int] | None) -> tuple[int, int]:
        n_rounds = self.num_boosted_rounds()
        if iteration_range is None or tuple(iteration_range) == (0, 0):
            end = n_rounds if self.best_iteration is None else self.best_iteration + 1
            begin = 0
        else:
            try:
                pair = tuple(iteration_range)
                if len(pair) != 2 or not all(
                    isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                    or isinstance(v, (float, np.floating)) and float(v).is_integer()
                    for v in pair
                ):
                    raise ValueError
                begin, end = (int(v) for v in pair)
            except (TypeError, ValueError, OverflowError):
                raise ValueError(
                    f"iteration_range={iteration_range!r} must be a pair of integers (begin, end)"
                ) from None
            if end == 0:
                end = n_rounds
            if not 0 <= begin <= end <= n_rounds:
                raise ValueError(
                    f"iteration_range={iteration_range!r} is out of range; valid: "
                    f"0 <= begin <= end <= {n_rounds}"
                )
        per = self.trees_per_round
        return begin * per, min(end, n_rounds) * per

    def _matrix(self, data: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw float matrix and optional per-row base margin of prediction input."""
        from ..data import Dataset
        from ..data.adapters import to_float_matrix
        from ..data.frames import encode_columns, is_table, needs_column_encoding, table_columns

        categorical = np.array([c is not None for c in self.categories], dtype=bool)
        if isinstance(data, Dataset):
            X, names, base_margin = data.raw, data.feature_names, data.base_margin
            names_given = True
            if categorical.any() and list(data.categories) != list(self.categories):
                X = self._recode(data)
        elif is_sparse(data):
            X, names, names_given, base_margin = as_csr(data), None, False, None
        elif categorical.any() or is_table(data) and needs_column_encoding(data):
            columns = table_columns(data) if is_table(data) else None
            if columns is not None:
                names, names_given = [c.name for c in columns], True
                X = np.empty((columns[0].values.shape[0] if columns else 0, len(columns)))
            else:
                X, names, _ = to_float_matrix(data)
                names_given = names is not None
            if X.shape[1] == self.n_features and (
                not names_given or list(names) == self.feature_names
            ):
                X, _ = encode_columns(columns, X, self.feature_names, categorical, self.categories)
            base_margin = None
        else:
            X, names, _ = to_float_matrix(data)
            names_given = names is not None
            base_margin = None
        if X.shape[1] != self.n_features:
            raise ValueError(
                f"the model expects {self.n_features} features; the data has {X.shape[1]} columns"
            )
        if names_given and list(names) != self.feature_names:
            for i, (got, want) in enumerate(zip(names, self.feature_names)):
                if got != want:
                    raise ValueError(
                        f"feature names differ from the model's at column {i}: "
                        f"data has {got!r}, model expects {want!r}"
                    )
        return X, base_margin

    def _recode(self, data) -> np.ndarray:
        """A Dataset's category codes translated to the model's (matched by label)."""
        X = np.array(data.raw, dtype=np.float64)
        for f, (mine, theirs) in enumerate(zip(self.categories, data.categories)):
            if mine is None or theirs is None or list(mine) == list(theirs):
                continue
            lookup = {label: code for code, label in enumerate(mine)}
            table = np.array([lookup.get(label, np.nan) for label in theirs] + [np.nan])
            column = X[:, f]
            valid = ~np.isnan(column)
            X[valid, f] = table[column[valid].astype(np.int64)]
        return X

    def _base_margins(self, n: int, base_margin: np.ndarray | None) -> np.ndarray:
        """(n, n_outputs) starting margins: a Dataset's per-row base margin replaces the model's."""
        if base_margin is None:
            return np.tile(self.base_margin, (n, 1))
        return np.array(base_margin, dtype=np.float64).reshape(n, -1)

    def predict_margin_matrix(
        self, X: np.ndarray, tree_begin: int, tree_end: int, base_margin: np.ndarray | None = None
    ) -> np.ndarray:
        """Margins (n, n_outputs) of a validated raw matrix over trees [tree_begin, tree_end)."""
        n = X.shape[0]
        out = self._base_margins(n, base_margin)
        if tree_end > tree_begin and n:
            import numba

            from .params import numba_threads, threads_for_rows

            with numba_threads(threads_for_rows(numba.get_num_threads(), n)):
                self._forest().predict_margin(X, tree_begin, tree_end, out)
        return out

    def _contribs(
        self,
        X: np.ndarray,
        tree_begin: int,
        tree_end: int,
        base_margin: np.ndarray | None,
        device: str = "cpu",
    ) -> np.ndarray:
        """TreeSHAP contributions of a validated raw matrix over trees [tree_begin, tree_end)."""
        from .treeshap import contributions

        n, k, m = X.shape[0], self.n_outputs, self.n_features
        out = np.zeros((n, k, m + 1), dtype=np.float64)
        out[:, :, m] = self._base_margins(n, base_margin)
        if tree_end > tree_begin and n:
            if device == "cpu":
                contributions(self._forest(), X, tree_begin, tree_end, out)
            else:
                from ..tree.gpu import shap_contributions

                shap_contributions(self._forest(), X, tree_begin, tree_end, out)
        return out[:, 0, :] if k == 1 else out

    def _interactions(
        self, X: np.ndarray, tree_begin: int, tree_end: int, base_margin: np.ndarray | None
    ) -> np.ndarray:
        """SHAP interaction values of a validated raw matrix over trees [tree_begin, tree_end)."""
        from .treeshap import interactions

        n, k, m = X.shape[0], self.n_outputs, self.n_features
        out = np.zeros((n, k, m + 1, m + 1), dtype=np.float64)
        bias = self._base_margins(n, base_margin)
        if n:
            interactions(self._forest(), X, tree_begin, tree_end, bias, out)
        return out[:, 0] if k == 1 else out

    def predict(
        self,
        data: Any,
        output_margin: bool = False,
        pred_leaf: bool = False,
        pred_contribs: bool = False,
        pred_interactions: bool = False,
        iteration_range: tuple[int, int] | None = None,
        device: str = "cpu",
    ) -> np.ndarray:
        """Predict for ``data`` (array, DataFrame or Dataset).

        Parameters
        ----------
        output_margin : bool
            Return raw margins instead of transformed predictions.
        pred_leaf : bool
            Return the leaf index (node id within its tree) of every row in every tree,
            shape (n_rows, n_trees).
        pred_contribs : bool
            Return Shapley values (exact path-dependent TreeSHAP, weighted by node cover): shape
            (n_rows, n_features + 1) for one output, (n_rows, n_outputs, n_features + 1)
            otherwise. The last column is the bias (base margin plus every tree's expected
            value); each row sums to its margin (``output_margin=True``).
        pred_interactions : bool
            SHAP interaction values (exact, path-dependent): shape (n_rows, n_features + 1,
            n_features + 1) for one output, (n_rows, n_outputs, n_features + 1, n_features + 1)
            otherwise. Entry [i, j] (i != j) is half the Shapley interaction index of features
            i and j, the diagonal holds each feature's own effect, and [-1, -1] the bias; each
            row i sums to feature i's contribution (``pred_contribs``).
        iteration_range : (begin, end), optional
            Rounds to use. Default: up to the best iteration when early stopping set one,
            otherwise all rounds.
        device : {"cpu", "cuda", "gpu"}
            Where margins are computed: "cuda" (or "gpu") walks the trees on the GPU, one
            thread per row, for dense input to models without categorical splits, and so does
            ``pred_contribs`` (TreeSHAP); leaf indices, interactions and sparse input stay on
            the CPU (docs/gpu.md). Any model predicts on the CPU, whatever device trained it.

        Returns
        -------
        ndarray
            (n_rows,) for one output, (n_rows, n_outputs) otherwise.
        """
        device = _device(device)
        X, base_margin = self._matrix(data)
        begin, end = self._tree_range(iteration_range)
        if is_sparse(X) and (pred_contribs or pred_interactions):
            # The output is dense (n_rows x n_features or more), so dense row blocks of the
            # input cost no more memory than the result.
            self._forest().check_sparse_input()
            explain = self._interactions if pred_interactions else self._contribs
            step = max(1, 4 * CSR_BLOCK_VALUES // max(X.shape[1], 1))
            return np.concatenate(
                [
                    explain(
                        X[lo : lo + step].toarray(),
                        begin,
                        end,
                        None if base_margin is None else base_margin[lo : lo + step],
                    )
                    for lo in range(0, max(X.shape[0], 1), step)
                ]
            )
        if pred_interactions:
            return self._interactions(X, begin, end, base_margin)
        if pred_contribs:
            return self._contribs(X, begin, end, base_margin, device)
        if pred_leaf:
            leaves = np.zeros((X.shape[0], end - begin), dtype=np.int32)
            if end > begin and X.shape[0]:
                self._forest().predict_leaf(X, begin, end, leaves)
            return leaves
        if device == "cpu" or is_sparse(X):
            margin = self.predict_margin_matrix(X, begin, end, base_margin)
        else:
            from ..tree.gpu import predict_margin as predict_margin_on_device

            margin = self._base_margins(X.shape[0], base_margin)
            predict_margin_on_device(self._forest(), X, begin, end, margin)
        if output_margin:
            return margin[:, 0] if self.n_outputs == 1 else margin
        return self.objective.transform(margin)

    def predict_survival(
        self, data: Any, times: Any, iteration_range: tuple[int, int] | None = None
    ) -> np.ndarray:
        """Survival probabilities S(t | x) of a ``survival:cox`` or ``survival:aft`` model.

        Parameters
        ----------
        data : array, DataFrame or Dataset
        times : array-like of float
            Times >= 0 at which to evaluate the curves.
        iteration_range : (begin, end), optional
            As in :meth:`predict`.

        Returns
        -------
        ndarray of shape (n_rows, len(times))
            Cox: ``exp(-H0(t) * hazard ratio)`` with the Breslow baseline cumulative hazard of
            the training rows; AFT: P(T > t) under the fitted log-time distribution.
        """
        margin = self.predict(data, output_margin=True, iteration_range=iteration_range)
        return survival_probabilities(
            self.objective.name, self.params, self.survival_baseline, margin, times
        )

    # -- importance ------------------------------------------------------------------------
    def get_score(self, importance_type: str = "weight") -> dict[str, float]:
        """Per-feature importance over the trees used by predict; unused features are absent.

        ``weight``: number of splits; ``total_gain``/``total_cover``: summed split gain/cover;
        ``gain``/``cover``: their averages per split.
        """
        if importance_type not in IMPORTANCE_TYPES:
            raise ValueError(
                f"importance_type={importance_type!r} is not valid; valid: "
                f"{', '.join(IMPORTANCE_TYPES)}"
            )
        n = self.n_features
        weight = np.zeros(n)
        gain = np.zeros(n)
        cover = np.zeros(n)
        begin, end = self._tree_range(None)
        for tree in self.trees[begin:end]:
            split = tree.left >= 0
            f = tree.feature[split]
            np.add.at(weight, f, 1.0)
            np.add.at(gain, f, tree.gain[split])
            np.add.at(cover, f, tree.cover[split])
        used = weight > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            values = {
                "weight": weight,
                "total_gain": gain,
                "total_cover": cover,
                "gain": gain / weight,
                "cover": cover / weight,
            }[importance_type]
        return {self.feature_names[i]: float(values[i]) for i in np.flatnonzero(used)}

    def feature_importances(self, importance_type: str = "gain") -> np.ndarray:
        """Importance of every feature as an array summing to 1 (zeros if no split was made)."""
        scores = self.get_score(importance_type)
        values = np.array([scores.get(name, 0.0) for name in self.feature_names])
        total = values.sum()
        return values / total if total > 0 else values

    # -- persistence -----------------------------------------------------------------------
    def save_model(self, path: str | os.PathLike) -> None:
        """Write the model as JSON (format documented in docs/model-format.md).

        The write is atomic: ``path`` holds either its previous content or the whole new model,
        never a partly written file (a temporary file in the same directory replaces it)."""
        from .model_file import atomic_write_text

        atomic_write_text(path, self.save_raw())

    def save_raw(self) -> str:
        """The model file's JSON text (deterministic: same model, same bytes)."""
        from .model_file import ModelContents, write_model

        return write_model(
            ModelContents(
                objective=self.objective,
                base_margin=self.base_margin,
                feature_names=self.feature_names,
                feature_types=self.feature_types,
                categories=self.categories,
                params=self.params,
                trees=self.trees,
                tree_outputs=self.tree_outputs,
                best_iteration=self.best_iteration,
                best_score=self.best_score,
                survival_baseline=self.survival_baseline,
            )
        )

    @classmethod
    def load_model(cls, path_or_text: str | bytes | os.PathLike) -> Booster:
        """Read a model written by :meth:`save_model`: a path, or the JSON text (str or bytes)."""
        from .model_file import read_model

        if isinstance(path_or_text, bytes) or (
            isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{")
        ):
            return cls._from_contents(read_model(path_or_text))
        try:
            with open(os.fspath(path_or_text), "rb") as fh:
                content = fh.read()
        except (OSError, TypeError) as exc:
            raise ValueError(f"cannot read model file {path_or_text!r}: {exc}") from None
        return cls._from_contents(read_model(content))

    @classmethod
    def from_xgboost(cls, model: Any) -> Booster:
        """An XGBoost model as a treeboost Booster: an ``xgboost.Booster``, an XGBoost
        scikit-learn estimator, or a saved JSON / UBJSON model file (read without xgboost).
        See docs/interop.md for what is carried over and how exactly."""
        from ..interop.xgboost import contents_from_xgboost

        return cls._from_contents(contents_from_xgboost(model))

    @classmethod
    def from_lightgbm(cls, model: Any) -> Booster:
        """A LightGBM model as a treeboost Booster: a ``lightgbm.Booster``, a LightGBM
        scikit-learn estimator, or a text model file (read without lightgbm)."""
        from ..interop.lightgbm import contents_from_lightgbm

        return cls._from_contents(contents_from_lightgbm(model))

    @classmethod
    def from_sklearn(cls, estimator: Any) -> Booster:
        """A fitted scikit-learn tree model (HistGradientBoosting*, GradientBoosting*,
        RandomForest*, ExtraTrees*, DecisionTree*) as a treeboost Booster."""
        from ..interop.sklearn import contents_from_sklearn

        return cls._from_contents(contents_from_sklearn(estimator))

    def to_xgboost_json(self, path: str | os.PathLike | None = None) -> str:
        """The model in XGBoost's JSON model format (written to ``path`` when given); a clear
        ValueError names what XGBoost cannot represent."""
        from ..interop.xgboost import xgboost_json_from_booster

        text = xgboost_json_from_booster(self)
        if path is not None:
            from .model_file import atomic_write_text

            atomic_write_text(path, text)
        return text

    @classmethod
    def _from_contents(cls, contents) -> Booster:
        booster = cls(
            contents.params,
            contents.objective,
            contents.base_margin,
            contents.feature_names,
            contents.feature_types,
        )
        booster.categories = contents.categories
        for tree, output in zip(contents.trees, contents.tree_outputs, strict=True):
            booster.append_tree(tree, output)
        if contents.best_iteration is not None:
            booster.set_best(contents.best_iteration, contents.best_score)
        booster.survival_baseline = contents.survival_baseline
        return booster

    def __repr__(self) -> str:
        return (
            f"Booster(objective={self.objective.name!r}, rounds={self.num_boosted_rounds()}, "
            f"features={self.n_features})"
        )
