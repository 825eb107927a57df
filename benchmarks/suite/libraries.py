"""Each library at its defaults, called the way its users call it: its scikit-learn estimator.

The only arguments given are the ones a user must give for the library to read the table at
all, or to keep it quiet: XGBoost's ``enable_categorical=True`` (without it, it refuses pandas
category columns), CatBoost's ``cat_features`` (the same) and ``verbose=0``, LightGBM's
``verbose=-1``. Thread counts are left to each library (every one uses all cores by default).
scikit-learn's HistGradientBoosting reads category columns by itself (``from_dtype``) but refuses
more than 255 categories in one column; such a column is given to it as its category codes.
"""

from __future__ import annotations

import importlib.util
import time

import numpy as np

from .tables import REGRESSION

PEERS = ("xgboost", "lightgbm", "sklearn-hgb", "catboost")
LIBRARIES = ("treeboost", *PEERS)

_MODULE = {
    "treeboost": "treeboost",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "sklearn-hgb": "sklearn",
    "catboost": "catboost",
}


def available(name: str) -> bool:
    return importlib.util.find_spec(_MODULE[name]) is not None


def version(name: str) -> str:
    module = importlib.import_module(_MODULE[name])
    return getattr(module, "__version__", "?")


def _treeboost(task: str, params: dict):
    import treeboost as tb

    if task == REGRESSION:
        return tb.TreeBoostRegressor(**params)
    return tb.TreeBoostClassifier(**params)


def _xgboost(task: str, params: dict):
    import xgboost as xgb

    cls = xgb.XGBRegressor if task == REGRESSION else xgb.XGBClassifier
    return cls(enable_categorical=True, **params)


def _lightgbm(task: str, params: dict):
    import lightgbm as lgb

    cls = lgb.LGBMRegressor if task == REGRESSION else lgb.LGBMClassifier
    return cls(verbose=-1, **params)


def _hgb(task: str, params: dict):
    from sklearn import ensemble

    if task == REGRESSION:
        return ensemble.HistGradientBoostingRegressor(**params)
    return ensemble.HistGradientBoostingClassifier(**params)


def _catboost(task: str, params: dict):
    import catboost

    cls = catboost.CatBoostRegressor if task == REGRESSION else catboost.CatBoostClassifier
    return cls(verbose=0, allow_writing_files=False, **params)


_FACTORY = {
    "treeboost": _treeboost,
    "xgboost": _xgboost,
    "lightgbm": _lightgbm,
    "sklearn-hgb": _hgb,
    "catboost": _catboost,
}


def _prepare(name: str, X, categorical: list[str]):
    """The frame in the form the library reads, and extra ``fit`` arguments."""
    if name == "catboost":
        X = X.copy()
        for column in categorical:
            # CatBoost takes category values as strings, a missing one included.
            X[column] = X[column].astype(object).where(X[column].notna(), "<missing>").astype(str)
        return X, {"cat_features": categorical}
    if name == "sklearn-hgb":
        wide = [c for c in categorical if len(X[c].cat.categories) > 255]
        if wide:
            X = X.copy()
            for column in wide:
                codes = X[column].cat.codes.astype(np.float64)
                X[column] = codes.where(codes >= 0)
        return X, {}
    return X, {}


def fit_predict(name: str, task: str, X_train, y_train, X_test, categorical, params=None):
    """Fit library ``name`` on the training rows; its test predictions and the fit seconds.

    Predictions are class probabilities (n_rows x n_classes) for classification and values for
    regression.
    """
    model = _FACTORY[name](task, dict(params or {}))
    X_train, fit_kwargs = _prepare(name, X_train, categorical)
    X_test, _ = _prepare(name, X_test, categorical)
    start = time.perf_counter()
    model.fit(X_train, y_train, **fit_kwargs)
    seconds = time.perf_counter() - start
    if task == REGRESSION:
        prediction = np.asarray(model.predict(X_test), dtype=np.float64).ravel()
    else:
        prediction = np.asarray(model.predict_proba(X_test), dtype=np.float64)
    return prediction, seconds
