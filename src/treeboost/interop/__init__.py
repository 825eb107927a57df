"""Models of other libraries as treeboost models: XGBoost (JSON / UBJSON or the live model),
LightGBM (text model or the live model) and scikit-learn tree ensembles become
:class:`~treeboost.model.model_file.ModelContents`, from which ``Booster.from_xgboost``,
``Booster.from_lightgbm`` and ``Booster.from_sklearn`` build an ordinary Booster; and the
export of a Booster to XGBoost's JSON model format.

This package sits beside ``model/`` (it builds what the model file reader builds, and the
Booster reaches it through its ``from_*`` constructors); it imports no foreign library at module
level.
"""
