"""``treeboost warmup`` and the public :func:`warmup` behind it (``tb.warmup``): compile every
kernel ahead of time, for servers and container images.

The function lives with the command line rather than with the kernels because it trains and
explains models, so it needs the layers above the kernels; the package root reaches it lazily.
"""

from __future__ import annotations

import argparse

import numpy as np


def add_parser(commands) -> None:
    """The ``warmup`` subcommand (it has no options)."""
    commands.add_parser("warmup", help="compile every kernel ahead of time")


def run(args: argparse.Namespace) -> int:
    warmup()
    print("treeboost kernels compiled and cached")
    return 0


def warmup() -> None:
    """Train and predict tiny models so every kernel signature is compiled (and cached on disk).

    Covers float32 and float64 input (dense and sparse), uint8 bins, both growth policies, row
    subsampling and every built-in objective.
    """
    from ..data import Dataset
    from ..training.engine import train

    rng = np.random.default_rng(0)
    n = 2 * 16384 + 64  # large enough to exercise the chunked (parallel) kernel paths
    for dtype in (np.float32, np.float64):
        X = rng.normal(size=(n, 3)).astype(dtype)
        X[::17, 0] = np.nan
        y_reg = X[:, 1].astype(np.float64)
        y_reg[np.isnan(y_reg)] = 0.0
        y_bin = (y_reg > 0).astype(np.float64)
        y_multi = np.digitize(y_reg, [-0.5, 0.5]).astype(np.float64)
        cases = [
            ({"objective": "reg:squarederror"}, y_reg),
            ({"objective": "binary:logistic", "subsample": 0.5}, y_bin),
            (
                {
                    "objective": "multi:softprob",
                    "num_class": 3,
                    "grow_policy": "lossguide",
                    "max_leaves": 4,
                },
                y_multi,
            ),
        ]
        for params, y in cases:
            dtrain = Dataset(X, label=y)
            dvalid = Dataset(X[:100], label=y[:100], reference=dtrain)
            booster = train(
                {**params, "max_depth": 2}, dtrain, num_boost_round=2, evals=[(dvalid, "valid")]
            )
            booster.predict(X[:100])
            booster.predict(X[:100], pred_leaf=True)
            booster.predict(X[:100], pred_contribs=True)

    # Objectives, monotone splits and DART do not depend on the input dtype: one small pass.
    X = rng.normal(size=(512, 3))
    positive = np.exp(X[:, 0])
    more_cases = [
        ({"objective": "reg:absoluteerror"}, X[:, 0]),
        ({"objective": "reg:pseudohubererror"}, X[:, 0]),
        ({"objective": "reg:squaredlogerror"}, positive),
        ({"objective": "reg:quantileerror", "quantile_alpha": [0.2, 0.8]}, X[:, 0]),
        ({"objective": "reg:expectileerror", "expectile_alpha": 0.5}, X[:, 0]),
        ({"objective": "count:poisson"}, np.round(positive)),
        ({"objective": "reg:gamma"}, positive),
        ({"objective": "reg:tweedie"}, positive),
        ({"monotone_constraints": [1, 0, 0], "booster": "dart", "rate_drop": 0.5}, X[:, 0]),
        ({}, X[:, :2].copy()),
    ]
    for params, y in more_cases:
        train({**params, "max_depth": 2}, Dataset(X, label=y), num_boost_round=2)

    # Shapley interaction values and interventional (background) Shapley values.
    from ..explain import shap_values

    booster = train({"max_depth": 2}, Dataset(X, label=X[:, 0]), num_boost_round=2)
    booster.predict(X[:8], pred_interactions=True)
    shap_values(booster, X[:8], background=X[:16])
    classifier = train(
        {"objective": "binary:logistic", "max_depth": 2},
        Dataset(X, label=(X[:, 0] > 0).astype(np.float64)),
        num_boost_round=2,
    )
    shap_values(classifier, X[:8], background=X[:16], output="probability")

    # Sparse input (CSR binning, sparse histograms both ways, sparse margins and prediction).
    import scipy.sparse as sp

    for dtype in (np.float32, np.float64):
        Xs = sp.random(n, 6, density=0.3, format="csr", random_state=0, dtype=dtype)
        ys = (Xs[:, 0].toarray().ravel() > 0.5).astype(np.float64)
        dsparse = Dataset(Xs, label=ys)
        booster = train(
            {"objective": "binary:logistic", "max_depth": 3, "subsample": 0.5},
            dsparse,
            num_boost_round=2,
            evals=[(Dataset(Xs[:100], label=ys[:100], reference=dsparse), "valid")],
        )
        booster.predict(Xs[:100])
        booster.predict(Xs[:100], pred_leaf=True)
