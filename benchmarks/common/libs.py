"""One adapter per library: equivalent parameters, Dataset construction + training, prediction.

``library_params`` is the single translation from the suite's common settings to each library's
own names; the report prints its output so every number can be traced to the exact parameters.
Libraries are imported lazily (inside the functions) so a child process imports only its own.

Equivalences (common setting -> treeboost / XGBoost / LightGBM / scikit-learn):

* rounds: ``num_boost_round`` / ``num_boost_round`` / ``num_boost_round`` / ``max_iter``
* 255 value bins: ``max_bin=256`` (counts the missing bin) / ``max_bin=256`` / ``max_bin=255`` /
  ``max_bins=255`` (scikit-learn adds its own missing-value bin)
* leaf-wise, 63 leaves: ``grow_policy="lossguide", max_leaves=63, max_depth=0`` / same /
  ``num_leaves=63, max_depth=-1`` / ``max_leaf_nodes=63, max_depth=None``
* depth-wise, depth 6: ``grow_policy="depthwise", max_depth=6`` / same / ``num_leaves=64,
  max_depth=6`` (LightGBM always grows best-first; with 64 leaves allowed at depth 6 it can reach
  the full depth-6 tree) / ``max_depth=6, max_leaf_nodes=None``
* min_child_weight=1 / ``min_child_weight=1`` / ``min_sum_hessian_in_leaf=1`` plus LightGBM's
  default ``min_data_in_leaf=20`` / scikit-learn has no hessian limit: its default
  ``min_samples_leaf=20``
* reg_lambda=1 / ``reg_lambda=1`` / ``lambda_l2=1`` / ``l2_regularization=1``
"""

from __future__ import annotations

from typing import Any

import numpy as np

LIBRARIES = ("treeboost", "xgboost", "lightgbm", "sklearn")
LABELS = {"treeboost": "treeboost", "xgboost": "XGBoost", "lightgbm": "LightGBM",
          "sklearn": "scikit-learn HGB"}

# LightGBM's default, kept (and stated in the report) rather than set to 0: see module docstring.
LGB_MIN_DATA_IN_LEAF = 20
SKLEARN_MIN_SAMPLES_LEAF = 20
# Quantized-gradient cases (``common["quantized"]``, treeboost and LightGBM only): LightGBM's
# default number of levels, under both libraries' shared parameter names.
QUANT_BINS = 4


def library_params(lib: str, task: str, common: dict[str, Any]) -> dict[str, Any]:
    """The exact parameter dict handed to ``lib`` for the common settings ``common``.

    ``common`` keys: rounds, learning_rate, policy ("depthwise" | "lossguide"), max_depth,
    max_leaves, n_jobs, seed, num_class (multiclass only), quantized (optional: gradient
    histograms of integer levels, treeboost and LightGBM).
    """
    lossguide = common["policy"] == "lossguide"
    depth = common["max_depth"]
    leaves = common["max_leaves"]
    n_jobs = common["n_jobs"]
    seed = common["seed"]
    lr = common["learning_rate"]
    k = common.get("num_class", 0)
    if lib == "treeboost":
        objective = {"binary": "binary:logistic", "regression": "reg:squarederror",
                     "multiclass": "multi:softprob"}[task]
        p = {"objective": objective, "learning_rate": lr, "grow_policy": common["policy"],
             "max_depth": 0 if lossguide else depth, "max_leaves": leaves if lossguide else 0,
             "min_child_weight": 1.0, "reg_lambda": 1.0, "n_jobs": n_jobs, "random_state": seed}
        if task == "multiclass":
            p["num_class"] = k
        if common.get("quantized"):
            p.update(use_quantized_grad=True, num_grad_quant_bins=QUANT_BINS)
        return p
    if lib == "xgboost":
        objective = {"binary": "binary:logistic", "regression": "reg:squarederror",
                     "multiclass": "multi:softprob"}[task]
        p = {"objective": objective, "tree_method": "hist", "max_bin": 256, "learning_rate": lr,
             "grow_policy": common["policy"], "max_depth": 0 if lossguide else depth,
             "max_leaves": leaves if lossguide else 0, "min_child_weight": 1.0,
             "reg_lambda": 1.0, "nthread": n_jobs, "verbosity": 0, "seed": seed}
        if task == "multiclass":
            p["num_class"] = k
        return p
    if lib == "lightgbm":
        objective = {"binary": "binary", "regression": "regression",
                     "multiclass": "multiclass"}[task]
        p = {"objective": objective, "learning_rate": lr,
             "num_leaves": leaves if lossguide else 2 ** depth,
             "max_depth": -1 if lossguide else depth, "max_bin": 255,
             "min_sum_hessian_in_leaf": 1.0, "min_data_in_leaf": LGB_MIN_DATA_IN_LEAF,
             "lambda_l2": 1.0, "num_threads": n_jobs, "verbosity": -1, "seed": seed}
        if task == "multiclass":
            p["num_class"] = k
        if common.get("quantized"):
            p.update(use_quantized_grad=True, num_grad_quant_bins=QUANT_BINS)
        return p
    if lib == "sklearn":
        return {"learning_rate": lr, "max_iter": common["rounds"],
                "max_leaf_nodes": leaves if lossguide else None,
                "max_depth": None if lossguide else depth, "max_bins": 255,
                "min_samples_leaf": SKLEARN_MIN_SAMPLES_LEAF, "l2_regularization": 1.0,
                "early_stopping": False, "random_state": seed}
    raise ValueError(f"unknown library {lib!r}; valid: {', '.join(LIBRARIES)}")


def import_library(lib: str) -> Any:
    """Import the library (the cold-start workload times this)."""
    if lib == "treeboost":
        import treeboost
        return treeboost
    if lib == "xgboost":
        import xgboost
        return xgboost
    if lib == "lightgbm":
        import lightgbm
        return lightgbm
    if lib == "sklearn":
        from sklearn import ensemble
        return ensemble
    raise ValueError(f"unknown library {lib!r}")


def library_version(lib: str) -> str:
    module = import_library(lib)
    if lib == "sklearn":
        import sklearn
        return sklearn.__version__
    return str(module.__version__)


def estimator_params(lib: str, task: str, common: dict[str, Any]) -> dict[str, Any]:
    """The constructor arguments of ``lib``'s scikit-learn estimator for ``common``: the same
    settings as :func:`library_params`, under the estimator's own names."""
    p = dict(library_params(lib, task, common))
    rounds = common["rounds"]
    p.pop("objective", None)
    p.pop("num_class", None)
    if lib == "treeboost":
        # The estimators sample rows and columns by default (docs/defaults.md); the peers here
        # do not, so neither does treeboost: every library does the same work.
        return {**p, "n_estimators": rounds, "max_bin": 256, "subsample": 1.0,
                "colsample_bytree": 1.0}
    if lib == "xgboost":
        p["n_jobs"] = p.pop("nthread")
        p["random_state"] = p.pop("seed")
        return {**p, "n_estimators": rounds}
    if lib == "lightgbm":
        return {"n_estimators": rounds, "learning_rate": p["learning_rate"],
                "num_leaves": p["num_leaves"], "max_depth": p["max_depth"],
                "max_bin": p["max_bin"], "min_child_weight": p["min_sum_hessian_in_leaf"],
                "min_child_samples": p["min_data_in_leaf"], "reg_lambda": p["lambda_l2"],
                "n_jobs": p["num_threads"], "random_state": p["seed"], "verbose": -1}
    return p


def _fit_estimator(lib: str, task: str, common: dict[str, Any], X: np.ndarray,
                   y: np.ndarray) -> Any:
    """Train through the library's own scikit-learn estimator, as its users call it."""
    params = estimator_params(lib, task, common)
    regression = task == "regression"
    if lib == "treeboost":
        import treeboost as tb
        cls = tb.TreeBoostRegressor if regression else tb.TreeBoostClassifier
    elif lib == "xgboost":
        import xgboost as xgb
        cls = xgb.XGBRegressor if regression else xgb.XGBClassifier
    elif lib == "lightgbm":
        import lightgbm as lgb
        cls = lgb.LGBMRegressor if regression else lgb.LGBMClassifier
    else:
        from sklearn.ensemble import HistGradientBoostingClassifier as cls_c
        from sklearn.ensemble import HistGradientBoostingRegressor as cls_r
        cls = cls_r if regression else cls_c
    return cls(**params).fit(X, y if regression else y.astype(np.int64))


def fit(lib: str, task: str, common: dict[str, Any], X: np.ndarray, y: np.ndarray) -> Any:
    """Build the library's dataset object and train; everything here counts as fit time.
    ``common["harness"] == "estimator"`` trains through the scikit-learn estimators instead."""
    if common.get("harness", "native") == "estimator":
        return _fit_estimator(lib, task, common, X, y)
    params = library_params(lib, task, common)
    rounds = common["rounds"]
    if lib == "treeboost":
        import treeboost as tb
        dtrain = tb.Dataset(X, label=y, max_bin=256)
        return tb.train(params, dtrain, num_boost_round=rounds)
    if lib == "xgboost":
        import xgboost as xgb
        # QuantileDMatrix is what XGBoost's own scikit-learn API builds for tree_method="hist"
        dtrain = xgb.QuantileDMatrix(X, label=y, max_bin=params["max_bin"],
                                     nthread=params["nthread"])
        return xgb.train(params, dtrain, num_boost_round=rounds)
    if lib == "lightgbm":
        import lightgbm as lgb
        dtrain = lgb.Dataset(X, label=y, params={"max_bin": params["max_bin"], "verbosity": -1,
                                                 "num_threads": params["num_threads"]})
        return lgb.train(params, dtrain, num_boost_round=rounds)
    if lib == "sklearn":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        if task == "regression":
            model = HistGradientBoostingRegressor(**params)
            return model.fit(X, y)
        model = HistGradientBoostingClassifier(**params)
        return model.fit(X, y.astype(np.int64))
    raise ValueError(f"unknown library {lib!r}")


def predict(lib: str, task: str, model: Any, X: np.ndarray, n_jobs: int) -> np.ndarray:
    """Predictions on raw features: probabilities (classification) or values (regression).

    Binary: P(y=1) shape (n,); multiclass: (n, k); regression: (n,). A scikit-learn estimator
    (every library's in the estimator harness, scikit-learn's always) answers through
    ``predict_proba`` / ``predict``.
    """
    if hasattr(model, "get_params"):
        if task == "regression":
            return np.asarray(model.predict(X))
        proba = model.predict_proba(X)
        return proba[:, 1] if task == "binary" else proba
    if lib == "treeboost":
        return np.asarray(model.predict(X))
    if lib == "xgboost":
        return np.asarray(model.inplace_predict(X))
    if lib == "lightgbm":
        return np.asarray(model.predict(X, num_threads=n_jobs))
    raise ValueError(f"unknown library {lib!r}")


METRIC_NAMES = {"binary": "AUC", "regression": "RMSE", "multiclass": "mlogloss"}
METRIC_MAXIMIZE = {"binary": True, "regression": False, "multiclass": False}


def metric(task: str, y: np.ndarray, pred: np.ndarray, num_class: int = 0) -> float:
    """AUC (binary), RMSE (regression) or multiclass log loss, on the test set."""
    if task == "binary":
        from sklearn.metrics import roc_auc_score
        return float(roc_auc_score(y, pred))
    if task == "regression":
        return float(np.sqrt(np.mean((np.asarray(pred, dtype=np.float64) - y) ** 2)))
    if task == "multiclass":
        from sklearn.metrics import log_loss
        proba = np.clip(np.asarray(pred, dtype=np.float64), 1e-15, 1.0)
        proba /= proba.sum(axis=1, keepdims=True)
        return float(log_loss(y.astype(np.int64), proba, labels=list(range(num_class))))
    raise ValueError(f"unknown task {task!r}")
