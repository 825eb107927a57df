"""Gradient boosting of any scikit-learn regressor; neural networks trained by boosting (GBNN).

``GradientBoostingRegressor`` and ``GradientBoostingClassifier`` fit a clone of a base regressor
(by default a one-hidden-unit ``MLPRegressor``) to the pseudo-residuals at every stage;
``merge_mlp_stages`` turns boosted one-hidden-layer networks into one network. See docs/boost.md.
"""

from .estimators import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    default_base_estimator,
)
from .merge import merge_mlp_stages

__all__ = [
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "default_base_estimator",
    "merge_mlp_stages",
]
