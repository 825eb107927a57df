"""The side-by-side benchmarks train treeboost through two harnesses, the native API and the
scikit-learn estimator; both must train the very same model, whatever the estimators'
defaults are (they sample rows and columns, the benchmark settings do not)."""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.common.libs import estimator_params, library_params

import treeboost as tb


@pytest.mark.parametrize("policy", ["depthwise", "lossguide"])
@pytest.mark.parametrize("task", ["binary", "regression"])
def test_estimator_harness_trains_the_native_model(policy, task):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6))
    y = X[:, 0] + 0.5 * X[:, 1] ** 2 + 0.1 * rng.normal(size=500)
    if task == "binary":
        y = (y > np.median(y)).astype(np.int64)
    common = {"rounds": 10, "learning_rate": 0.1, "policy": policy, "max_depth": 4,
              "max_leaves": 15, "n_jobs": 1, "seed": 0}
    native = tb.train(library_params("treeboost", task, common), tb.Dataset(X, label=y), 10)
    cls = tb.TreeBoostRegressor if task == "regression" else tb.TreeBoostClassifier
    estimator = cls(**estimator_params("treeboost", task, common)).fit(X, y)
    np.testing.assert_allclose(
        estimator.get_booster().predict(X, output_margin=True),
        native.predict(X, output_margin=True), rtol=0, atol=1e-12)
