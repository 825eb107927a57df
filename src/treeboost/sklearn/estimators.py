"""scikit-learn estimators. They build Datasets and call :func:`treeboost.train`; nothing more."""

from __future__ import annotations

import inspect
import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..data import Dataset
from ..model.booster import Booster
from ..objectives import LogisticObjective, SoftprobObjective
from ..training.engine import train

# Constructor arguments that are training parameters (everything else is estimator plumbing).
_PARAM_NAMES = (
    "learning_rate",
    "max_depth",
    "max_leaves",
    "grow_policy",
    "min_child_weight",
    "gamma",
    "reg_lambda",
    "reg_alpha",
    "max_delta_step",
    "subsample",
    "colsample_bytree",
    "colsample_bylevel",
    "colsample_bynode",
    "objective",
    "eval_metric",
    "base_score",
    "scale_pos_weight",
    "random_state",
    "n_jobs",
    "device",
    "monotone_constraints",
    "interaction_constraints",
    "huber_slope",
    "quantile_alpha",
    "expectile_alpha",
    "tweedie_variance_power",
    "booster",
    "rate_drop",
    "skip_drop",
    "one_drop",
    "sample_type",
    "normalize_type",
    "num_parallel_tree",
    "max_cat_to_onehot",
    "max_cat_threshold",
    "cat_smooth",
    "cat_l2",
    "min_data_per_group",
    "use_quantized_grad",
    "num_grad_quant_bins",
)

# Classification objectives whose transformed output already is class probabilities.
_PROBABILITY_OBJECTIVES = ("binary:logistic", "multi:softprob")


def _check_positive_int(name: str, value: Any, allow_none: bool = False) -> None:
    if allow_none and value is None:
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        valid = "an integer >= 1" + (" or None" if allow_none else "")
        raise ValueError(f"parameter {name}={value!r} is not valid; valid: {valid}")


def _seed(random_state: Any) -> Any:
    """An int seed for the parameter table from scikit-learn's random_state conventions."""
    if isinstance(random_state, numbers.Integral) or not (
        random_state is None or isinstance(random_state, np.random.RandomState)
    ):
        return random_state  # an int, or something invalid that the parameter table reports
    # None (numpy's global generator) or a RandomState: draw the seed from it, as sklearn does.
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


# The estimators' tree size when max_depth / max_leaves are left unset, per growth policy: best-
# first trees of 31 leaves with no depth limit (what the defaults study on benchmarks/suite chose,
# docs/defaults.md), and XGBoost's depth 6 when depth-wise growth is asked for.
_UNSET_SIZE = {"lossguide": {"max_depth": 0, "max_leaves": 31},
               "depthwise": {"max_depth": 6, "max_leaves": 0}}


def _tree_size(grow_policy: Any, max_depth: Any, max_leaves: Any) -> dict[str, Any]:
    """max_depth and max_leaves with unset (None) values filled in for ``grow_policy``; a value
    the user set is kept as it is, with XGBoost's meaning."""
    unset = _UNSET_SIZE.get(grow_policy, _UNSET_SIZE["depthwise"])
    return {
        "max_depth": unset["max_depth"] if max_depth is None else max_depth,
        "max_leaves": unset["max_leaves"] if max_leaves is None else max_leaves,
    }


def init_with_parameters(extra: dict[str, Any]):
    """An ``__init__`` taking every argument of the shared constructor plus ``extra`` (name ->
    default), all stored as attributes: scikit-learn reads an estimator's parameters from its
    ``__init__`` signature, so the ranking and survival estimators need their own parameters
    listed there without repeating the shared ones."""
    base = inspect.signature(_TreeBoostModel.__init__)
    shared = list(base.parameters.values())
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in extra.items()
    ]
    signature = base.replace(parameters=[*shared, *added])

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


def eval_pairs(eval_set, sample_weight_eval_set) -> list[tuple]:
    """``(i, X, y, weight or None)`` for each pair of ``eval_set``, checked for shape."""
    eval_set = list(eval_set or [])
    if sample_weight_eval_set is not None and len(sample_weight_eval_set) != len(eval_set):
        raise ValueError(
            f"sample_weight_eval_set has {len(sample_weight_eval_set)} entries; "
            f"it needs one per eval_set pair ({len(eval_set)})"
        )
    out = []
    for i, pair in enumerate(eval_set):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise ValueError(f"eval_set[{i}] must be an (X, y) pair")
        weight = None if sample_weight_eval_set is None else sample_weight_eval_set[i]
        out.append((i, pair[0], pair[1], weight))
    return out


class _TreeBoostModel(BaseEstimator):
    """Shared constructor and fitting logic of the estimators."""

    _default_objective = "reg:squarederror"

    def __init__(
        self,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        max_depth: int | None = None,
        max_leaves: int | None = None,
        grow_policy: str = "lossguide",
        min_child_weight: float = 1.0,
        gamma: float = 0.0,
        reg_lambda: float = 1.0,
        reg_alpha: float = 0.0,
        max_delta_step: float | None = None,
        subsample: float = 0.8,
        colsample_bytree: float = 0.8,
        colsample_bylevel: float = 1.0,
        colsample_bynode: float = 1.0,
        max_bin: int = 256,
        objective: Any = None,
        eval_metric: Any = None,
        base_score: float | None = None,
        scale_pos_weight: float = 1.0,
        early_stopping_rounds: int | None = None,
        random_state: Any = 0,
        n_jobs: int | None = None,
        device: str = "cpu",
        callbacks: Any = None,
        monotone_constraints: Any = None,
        interaction_constraints: Any = None,
        huber_slope: float = 1.0,
        quantile_alpha: Any = None,
        expectile_alpha: Any = None,
        tweedie_variance_power: float = 1.5,
        booster: str = "gbtree",
        rate_drop: float = 0.0,
        skip_drop: float = 0.0,
        one_drop: bool = False,
        sample_type: str = "uniform",
        normalize_type: str = "tree",
        num_parallel_tree: int = 1,
        categorical_features: Any = None,
        max_cat_to_onehot: int = 4,
        max_cat_threshold: int = 64,
        cat_smooth: float = 10.0,
        cat_l2: float = 10.0,
        min_data_per_group: int = 100,
        use_quantized_grad: bool = False,
        num_grad_quant_bins: int = 4,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.max_leaves = max_leaves
        self.grow_policy = grow_policy
        self.min_child_weight = min_child_weight
        self.gamma = gamma
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.max_delta_step = max_delta_step
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.colsample_bylevel = colsample_bylevel
        self.colsample_bynode = colsample_bynode
        self.max_bin = max_bin
        self.objective = objective
        self.eval_metric = eval_metric
        self.base_score = base_score
        self.scale_pos_weight = scale_pos_weight
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device
        self.callbacks = callbacks
        self.monotone_constraints = monotone_constraints
        self.interaction_constraints = interaction_constraints
        self.huber_slope = huber_slope
        self.quantile_alpha = quantile_alpha
        self.expectile_alpha = expectile_alpha
        self.tweedie_variance_power = tweedie_variance_power
        self.booster = booster
        self.rate_drop = rate_drop
        self.skip_drop = skip_drop
        self.one_drop = one_drop
        self.sample_type = sample_type
        self.normalize_type = normalize_type
        self.num_parallel_tree = num_parallel_tree
        self.categorical_features = categorical_features
        self.max_cat_to_onehot = max_cat_to_onehot
        self.max_cat_threshold = max_cat_threshold
        self.cat_smooth = cat_smooth
        self.cat_l2 = cat_l2
        self.min_data_per_group = min_data_per_group
        self.use_quantized_grad = use_quantized_grad
        self.num_grad_quant_bins = num_grad_quant_bins

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags

    # -- helpers for subclasses --------------------------------------------------------------
    def _train_params(self, extra: dict[str, Any]) -> dict[str, Any]:
        params = {name: getattr(self, name) for name in _PARAM_NAMES}
        params.update(_tree_size(params["grow_policy"], params["max_depth"], params["max_leaves"]))
        if params["objective"] is None:
            params["objective"] = self._default_objective
        params["random_state"] = _seed(params["random_state"])
        params.update(extra)
        return params

    def _keeps_table(self, X) -> bool:
        """Tables with categorical columns (or any input when ``categorical_features`` is set)
        go to the Dataset as they are: scikit-learn's validation would turn them into floats."""
        from ..data.frames import is_table

        if self.categorical_features is not None:
            return True
        if not is_table(X):
            return False
        from ..data.frames import needs_column_encoding

        return needs_column_encoding(X)

    def _validate_table(self, X, reset: bool):
        from ..data.frames import is_table, table_names

        if is_table(X):
            pl = __import__("sys").modules.get("polars")
            if pl is not None and isinstance(X, pl.LazyFrame):
                X = X.collect()
            names = np.asarray(table_names(X), dtype=object)
            n_features = len(names)
        else:
            X = np.asarray(X) if not hasattr(X, "shape") else X
            if len(X.shape) != 2:
                raise ValueError(f"X must be 2-D, got shape {X.shape}")
            names, n_features = None, X.shape[1]
        if reset:
            self.n_features_in_ = n_features
            if names is not None:
                self.feature_names_in_ = names
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif n_features != self.n_features_in_:
            raise ValueError(
                f"X has {n_features} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        return X

    def _validate_X(self, X, reset: bool) -> np.ndarray:
        if self._keeps_table(X) or (not reset and getattr(self, "_table_input", False)):
            return self._validate_table(X, reset)
        return validate_data(
            self,
            X,
            reset=reset,
            ensure_all_finite="allow-nan",
            dtype=[np.float64, np.float32],
            order="C",
            accept_sparse=("csr", "csc"),
        )

    def _validate_X_y(self, X, y, **kwargs) -> tuple[np.ndarray, np.ndarray]:
        self._table_input = self._keeps_table(X)
        if self._table_input:
            from sklearn.utils.validation import check_array

            y = check_array(
                y,
                ensure_2d=False,
                dtype=np.float64 if kwargs.get("y_numeric") else None,
                allow_nd=False,
            )
            X = self._validate_table(X, reset=True)
            if y.shape[0] != X.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
            if not kwargs.get("multi_output") and y.ndim == 2 and y.shape[1] == 1:
                y = y[:, 0]
            return X, y
        return validate_data(
            self,
            X,
            y,
            reset=True,
            ensure_all_finite="allow-nan",
            dtype=[np.float64, np.float32],
            order="C",
            accept_sparse=("csr", "csc"),
            **kwargs,
        )

    def _feature_names(self) -> list[str] | None:
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else [str(n) for n in names]

    def _check_wrapper_params(self, eval_set) -> None:
        """Checks of the estimator-only arguments; the parameter table checks the others."""
        _check_positive_int("n_estimators", self.n_estimators)
        _check_positive_int("early_stopping_rounds", self.early_stopping_rounds, allow_none=True)
        if self.early_stopping_rounds is not None and not eval_set:
            raise ValueError(
                f"early_stopping_rounds={self.early_stopping_rounds} needs a "
                "validation set: pass eval_set=[(X_valid, y_valid)] to fit"
            )

    def _training_dataset(
        self, X: np.ndarray, y: np.ndarray, sample_weight, feature_weights=None, **row_info
    ) -> Dataset:
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        return Dataset(
            X,
            label=y,
            weight=sample_weight,
            feature_names=self._feature_names(),
            max_bin=self.max_bin,
            feature_weights=feature_weights,
            categorical_features=self.categorical_features,
            **row_info,
        )

    def _fit_booster(
        self,
        X: np.ndarray,
        y: np.ndarray,
        sample_weight,
        eval_set,
        sample_weight_eval_set,
        verbose,
        extra_params: dict[str, Any],
        encode_label=lambda y: y,
        feature_weights=None,
        row_info: dict[str, Any] | None = None,
        eval_row_info: list[dict[str, Any]] | None = None,
    ) -> None:
        """Train the booster. ``row_info`` holds further Dataset fields of the training rows
        (``qid``, ``label_lower_bound`` ...), ``eval_row_info`` one such dict per eval set."""
        self._check_wrapper_params(eval_set)
        dtrain = self._training_dataset(X, y, sample_weight, feature_weights, **(row_info or {}))
        evals = []
        for i, Xv, yv, wv in eval_pairs(eval_set, sample_weight_eval_set):
            Xv = self._validate_X(Xv, reset=False)
            yv = np.asarray(yv)
            yv = encode_label(yv if (yv.ndim == 2 and yv.shape[1] > 1) else yv.ravel())
            if wv is not None:
                wv = _check_sample_weight(wv, Xv, dtype=np.float64, ensure_non_negative=True)
            evals.append(
                (
                    Dataset(
                        Xv,
                        label=yv,
                        weight=wv,
                        feature_names=dtrain.feature_names,
                        reference=dtrain,
                        **(eval_row_info[i] if eval_row_info else {}),
                    ),
                    f"validation_{i}",
                )
            )
        self._train_booster(train, dtrain, evals, verbose, extra_params)

    def _train_booster(self, train_fn, dtrain, evals, verbose, extra_params, *leading) -> None:
        """Train with ``train_fn(*leading, params, dtrain, ...)`` (treeboost.train, or a
        distributed train taking its client first) under the estimator's settings."""
        evals_result: dict = {}
        self._Booster = train_fn(
            *leading,
            self._train_params(extra_params),
            dtrain,
            num_boost_round=self.n_estimators,
            evals=evals,
            early_stopping_rounds=self.early_stopping_rounds,
            callbacks=self.callbacks,
            verbose_eval=verbose,
            evals_result=evals_result,
        )
        self.evals_result_ = evals_result

    # -- fitted attributes -----------------------------------------------------------------
    def get_booster(self) -> Booster:
        """The trained :class:`~treeboost.Booster`."""
        check_is_fitted(self, "_Booster")
        return self._Booster

    @property
    def best_iteration(self) -> int | None:
        """Index of the best round found by early stopping (None without early stopping)."""
        return self.get_booster().best_iteration

    @property
    def best_score(self) -> float | None:
        """Score of the watched metric at :attr:`best_iteration` (None without early stopping)."""
        return self.get_booster().best_score

    @property
    def feature_importances_(self) -> np.ndarray:
        """Total gain per feature, normalised to sum to 1."""
        return self.get_booster().feature_importances("total_gain")

    def evals_result(self) -> dict:
        """Scores per round: ``{"validation_<i>": {metric_name: [score, ...]}}``."""
        check_is_fitted(self, "_Booster")
        return self.evals_result_

    def _margin_or_prediction(self, X, output_margin: bool, iteration_range) -> np.ndarray:
        check_is_fitted(self, "_Booster")
        X = self._validate_X(X, reset=False)
        return self._Booster.predict(
            X, output_margin=output_margin, iteration_range=iteration_range
        )


_FIT_DOC = """
        Parameters
        ----------
        X : array-like, table or scipy.sparse matrix of shape (n_samples, n_features)
            Features; NaN marks a missing value. DataFrame column names become the booster's
            feature names, and later inputs must have the same columns in the same order. A
            sparse matrix is used without densifying; its absent entries are zeros.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative row weights; a weight of 0 is the same as leaving the row out.
        eval_set : list of (X, y) pairs, optional
            Scored after every round as ``"validation_<i>"``; the last one drives early stopping.
        sample_weight_eval_set : list of array-like, optional
            One weight array (or None) per ``eval_set`` pair.
        feature_weights : array-like of shape (n_features,), optional
            Relative chance of each feature in column sampling (``colsample_*``).
        verbose : bool or int
            Print the scores every round (True) or every ``verbose`` rounds.

        Returns
        -------
        self
"""


class TreeBoostRegressor(RegressorMixin, _TreeBoostModel):
    """Gradient boosted trees for regression (``objective="reg:squarederror"`` by default).

    Parameters follow XGBoost's scikit-learn API; see :func:`treeboost.train` for their meaning.
    The defaults differ from XGBoost's where a study on real tables found better ones
    (``learning_rate=0.1``, best-first trees of 31 leaves, ``subsample`` and
    ``colsample_bytree`` 0.8; docs/defaults.md); a value you set keeps XGBoost's meaning.
    ``early_stopping_rounds`` uses the last set of ``eval_set`` passed to :meth:`fit`.
    """

    def fit(
        self,
        X,
        y,
        sample_weight=None,
        eval_set=None,
        sample_weight_eval_set=None,
        verbose: bool | int = False,
        feature_weights=None,
    ) -> TreeBoostRegressor:
        X, y = self._validate_X_y(X, y, y_numeric=True, multi_output=True)
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        self._fit_booster(
            X,
            y,
            sample_weight,
            eval_set,
            sample_weight_eval_set,
            verbose,
            {},
            feature_weights=feature_weights,
        )
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    fit.__doc__ = "Train on ``X``, ``y``.\n" + _FIT_DOC

    def predict(self, X, output_margin: bool = False, iteration_range=None) -> np.ndarray:
        """Predicted values, shape (n_samples,), or (n_samples, k) for a 2-d ``y`` or several
        quantile / expectile levels.

        ``iteration_range=(begin, end)`` picks the rounds used; by default all of them, or up to
        :attr:`best_iteration` when early stopping found one.
        """
        return self._margin_or_prediction(X, output_margin, iteration_range)


class TreeBoostClassifier(ClassifierMixin, _TreeBoostModel):
    """Gradient boosted trees for classification, binary (``binary:logistic``) or multiclass
    (``multi:softprob``), with labels of any type.

    Parameters follow XGBoost's scikit-learn API; see :func:`treeboost.train` for their meaning.
    The defaults differ from XGBoost's where a study on real tables found better ones
    (``learning_rate=0.1``, best-first trees of 31 leaves, ``subsample`` and
    ``colsample_bytree`` 0.8; docs/defaults.md); a value you set keeps XGBoost's meaning.
    A callable ``objective`` gets the margins mapped to probabilities by a sigmoid (two classes)
    or a softmax.
    """

    _default_objective = "binary:logistic"

    def _objective_params(self) -> dict[str, Any]:
        objective = self.objective
        multiclass = self.n_classes_ > 2
        if objective is None:
            objective = "multi:softprob" if multiclass else "binary:logistic"
        if multiclass and objective == "binary:logistic":
            raise ValueError(
                f"objective='binary:logistic' is for 2 classes but y has "
                f"{self.n_classes_}; use objective='multi:softprob' or None"
            )
        if isinstance(objective, str) and objective not in _PROBABILITY_OBJECTIVES:
            raise ValueError(
                f"objective={objective!r} is not a classification objective; "
                f"valid: {', '.join(_PROBABILITY_OBJECTIVES)}, a callable or None"
            )
        extra: dict[str, Any] = {"objective": objective}
        if multiclass or objective == "multi:softprob":
            extra["num_class"] = self.n_classes_
        return extra

    def fit(
        self,
        X,
        y,
        sample_weight=None,
        eval_set=None,
        sample_weight_eval_set=None,
        verbose: bool | int = False,
        feature_weights=None,
    ) -> TreeBoostClassifier:
        X, y = self._validate_X_y(X, y)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(
                f"TreeBoostClassifier needs samples of at least 2 classes in y; "
                f"got only 1 class: {self.classes_[0]!r}"
            )
        extra = self._objective_params()

        def encode(labels):
            unknown = np.setdiff1d(labels, self.classes_)
            if unknown.size:
                raise ValueError(f"eval_set holds labels not seen in y: {unknown[:5].tolist()}")
            return encoder.transform(labels).astype(np.float64)

        self._fit_booster(
            X,
            encoder.transform(y).astype(np.float64),
            sample_weight,
            eval_set,
            sample_weight_eval_set,
            verbose,
            extra,
            encode,
            feature_weights=feature_weights,
        )
        return self

    fit.__doc__ = (
        "Train on ``X`` and class labels ``y`` (of any type; 2 or more classes).\n" + _FIT_DOC
    )

    def predict_proba(self, X, iteration_range=None) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        if self.get_booster().objective.name == "custom":
            # A callable objective leaves margins untransformed: apply the usual links.
            margin = self._margin_or_prediction(X, True, iteration_range)
            if margin.ndim == 1:
                proba = LogisticObjective().transform(margin)
            else:
                proba = SoftprobObjective(num_class=margin.shape[1]).transform(margin)
        else:
            proba = self._margin_or_prediction(X, False, iteration_range)
        if proba.ndim == 1:
            return np.column_stack([1.0 - proba, proba])
        return proba

    def predict(self, X, output_margin: bool = False, iteration_range=None) -> np.ndarray:
        """Predicted class labels (taken from ``classes_``), or raw margins with
        ``output_margin=True``."""
        if output_margin:
            return self._margin_or_prediction(X, True, iteration_range)
        proba = self.predict_proba(X, iteration_range)
        return self.classes_[np.argmax(proba, axis=1)]
