"""``treeboost demo``: train on scikit-learn's breast cancer data and report clinical metrics."""

from __future__ import annotations

import time

import numpy as np


def run_demo(random_state: int = 0) -> dict[str, float]:
    """Train with early stopping on a held-out split and print the metrics; returns them."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import brier_score_loss, confusion_matrix, f1_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    from .data import Dataset
    from .engine import train

    start = time.perf_counter()
    data = load_breast_cancer()
    # Label 1 = malignant, the condition a screening test is meant to catch.
    X, y = data.data, (data.target == 0).astype(np.float64)
    X_fit, X_test, y_fit, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=random_state
    )
    X_train, X_valid, y_train, y_valid = train_test_split(
        X_fit, y_fit, test_size=0.2, stratify=y_fit, random_state=random_state
    )
    names = [str(n) for n in data.feature_names]
    dtrain = Dataset(X_train, label=y_train, feature_names=names)
    dvalid = Dataset(X_valid, label=y_valid, feature_names=names, reference=dtrain)
    params = {
        "objective": "binary:logistic",
        "learning_rate": 0.1,
        "max_depth": 3,
        "eval_metric": ["auc", "logloss"],
        "random_state": random_state,
    }
    print(
        f"treeboost demo: breast cancer data, {X_train.shape[0]} train / {X_valid.shape[0]} "
        f"validation / {X_test.shape[0]} test rows, {X.shape[1]} features"
    )
    booster = train(
        params,
        dtrain,
        num_boost_round=500,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=20,
        verbose_eval=25,
    )
    # Early stopping watches the last metric listed: validation logloss.
    print(f"best iteration: {booster.best_iteration} (validation logloss {booster.best_score:.4f})")
    prob = booster.predict(X_test)
    pred = (prob >= 0.5).astype(int)
    tn, fp, fn, tp = confusion_matrix(y_test, pred, labels=[0, 1]).ravel()
    metrics = {
        "AUC": roc_auc_score(y_test, prob),
        "sensitivity": tp / (tp + fn),
        "specificity": tn / (tn + fp),
        "F1": f1_score(y_test, pred),
        "Brier": brier_score_loss(y_test, prob),
    }
    print("\nTest-set metrics (threshold 0.5, positive = malignant):")
    for name, value in metrics.items():
        print(f"  {name:<12} {value:.4f}")
    top = sorted(booster.get_score("total_gain").items(), key=lambda kv: -kv[1])[:5]
    print("\nTop features by total gain:")
    for name, value in top:
        print(f"  {name:<24} {value:10.2f}")
    print(f"\ndone in {time.perf_counter() - start:.1f} s")
    return metrics
