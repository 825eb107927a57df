"""Threads: concurrent predict / SHAP on one model, training beside prediction, and n_jobs under
joblib (docs/reliability.md)."""

from __future__ import annotations

import os
import threading

import numba
import numpy as np
import pytest

import treeboost as tb
from fuzz_profiles import count
from treeboost.model.params import SERIAL_BELOW_ROWS

SUITE = "threads"
N_THREADS = 8


def _data(n=3000, m=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m))
    X[rng.random((n, m)) < 0.05] = np.nan
    y = (np.nan_to_num(X[:, 0]) + X[:, 1] ** 2 > 0.5).astype(float)
    return X, y


@pytest.fixture(scope="module")
def model():
    X, y = _data()
    booster = tb.train({"objective": "binary:logistic", "max_depth": 5}, tb.Dataset(X, label=y),
                       30)
    return booster, X


def _run_threads(target, n=N_THREADS):
    results, errors = [None] * n, []
    barrier = threading.Barrier(n)

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors
    return results


MODES = {
    "prediction": {},
    "margin": {"output_margin": True},
    "leaf": {"pred_leaf": True},
    "contribs": {"pred_contribs": True},
    "range": {"iteration_range": (3, 17)},
}


def test_concurrent_predict_matches_sequential(model):
    booster, X = model
    fresh = tb.Booster.load_model(booster.save_raw())  # its prediction forest is built lazily
    expected = {name: booster.predict(X, **kw) for name, kw in MODES.items()}
    names = sorted(MODES)

    def target(i):
        out = {}
        for j in range(len(names)):  # each thread walks the modes in its own order
            name = names[(i + j) % len(names)]
            out[name] = fresh.predict(X, **MODES[name])
        return out

    for result in _run_threads(target):
        for name in names:
            np.testing.assert_array_equal(result[name], expected[name], err_msg=name)
    count(SUITE, "quick", N_THREADS * len(names))


def test_concurrent_shap_and_interactions_match_sequential(model):
    booster, X = model
    rows = X[:40]
    expected_values = tb.explain.shap_values(booster, rows).values
    expected_inter = booster.predict(rows[:10], pred_interactions=True)
    background = X[100:130]
    expected_interventional = tb.explain.shap_values(booster, rows[:10], background).values

    def target(i):
        if i % 3 == 0:
            return "values", tb.explain.shap_values(booster, rows).values
        if i % 3 == 1:
            return "inter", booster.predict(rows[:10], pred_interactions=True)
        return "background", tb.explain.shap_values(booster, rows[:10], background).values

    expected = {"values": expected_values, "inter": expected_inter,
                "background": expected_interventional}
    for kind, got in _run_threads(target):
        np.testing.assert_array_equal(got, expected[kind], err_msg=kind)
    count(SUITE, "quick", N_THREADS)


def test_concurrent_estimator_predict(model):
    X, y = _data(800)
    clf = tb.TreeBoostClassifier(n_estimators=20, max_depth=4).fit(X, y)
    expected = clf.predict_proba(X)
    for got in _run_threads(lambda i: clf.predict_proba(X)):
        np.testing.assert_array_equal(got, expected)
    count(SUITE, "quick", N_THREADS)


def test_training_beside_prediction_on_the_same_model(model):
    """Continuing training from a Booster while other threads predict with it: the predicting
    threads see the original model throughout, and the original is unchanged afterwards."""
    booster, X = model
    before = booster.save_raw()
    expected = booster.predict(X)
    X_train, y_train = _data(2000, seed=1)
    stop = threading.Event()

    def target(i):
        if i == 0:
            try:
                return tb.train({"objective": "binary:logistic", "max_depth": 5},
                                tb.Dataset(X_train, label=y_train), 10, init_model=booster)
            finally:
                stop.set()
        checks = 0
        while not stop.is_set() or checks == 0:
            np.testing.assert_array_equal(booster.predict(X), expected)
            checks += 1
        return checks

    results = _run_threads(target, n=3)
    continued = results[0]
    assert continued.num_boosted_rounds() == booster.num_boosted_rounds() + 10
    assert booster.save_raw() == before, "init_model was changed by continued training"
    count(SUITE, "quick", sum(results[1:]))


def test_two_trainings_at_once_give_the_sequential_models():
    X, y = _data(2000)
    params = {"objective": "binary:logistic", "max_depth": 4, "subsample": 0.8,
              "colsample_bytree": 0.7, "random_state": 3}
    expected = tb.train(params, tb.Dataset(X, label=y), 10).save_raw()
    for got in _run_threads(lambda i: tb.train(params, tb.Dataset(X, label=y), 10).save_raw(),
                            n=3):
        assert got == expected
    count(SUITE, "quick", 3)


# -- n_jobs --------------------------------------------------------------------------------
def _threads_seen_in_training(n_jobs, n_rows=SERIAL_BELOW_ROWS * 2):
    """The numba thread count active inside the boosting loop (read by a custom objective)."""
    seen = []

    def objective(predt, dtrain):
        seen.append(numba.get_num_threads())
        return predt - dtrain.label, np.ones_like(dtrain.label)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 4))
    params = {"max_depth": 3}
    if n_jobs != "unset":
        params["n_jobs"] = n_jobs
    tb.train(params, tb.Dataset(X, label=X[:, 0]), 3, obj=objective)
    return max(seen), numba.config.NUMBA_NUM_THREADS


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_n_jobs_is_an_upper_bound(n_jobs):
    used, _ = _threads_seen_in_training(n_jobs)
    assert 1 <= used <= n_jobs
    count(SUITE, "quick")


def test_n_jobs_restores_the_callers_thread_count():
    before = numba.get_num_threads()
    _threads_seen_in_training(1)
    assert numba.get_num_threads() == before


def test_joblib_workers_are_not_oversubscribed():
    """Inside scikit-learn's joblib (loky) workers, training uses at most cpu_count / workers
    threads each, whatever n_jobs says: joblib caps NUMBA_NUM_THREADS in its workers and
    treeboost never exceeds numba's pool."""
    joblib = pytest.importorskip("joblib")
    workers = 2
    cap = max(1, (os.cpu_count() or 1) // workers)
    for n_jobs in (None, -1, "unset", 4):
        out = joblib.Parallel(n_jobs=workers, backend="loky")(
            joblib.delayed(_threads_seen_in_training)(n_jobs) for _ in range(workers)
        )
        for used, pool in out:
            assert used <= cap, (n_jobs, used, pool)
        count(SUITE, "quick", workers)


def test_sklearn_cross_validation_with_parallel_folds():
    """cross_val_score(n_jobs=2) over a treeboost estimator gives the serial scores."""
    from sklearn.model_selection import cross_val_score

    X, y = _data(600)
    model = tb.TreeBoostClassifier(n_estimators=10, max_depth=3, random_state=0)
    serial = cross_val_score(model, X, y, cv=3, n_jobs=1)
    parallel = cross_val_score(model, X, y, cv=3, n_jobs=2)
    np.testing.assert_array_equal(serial, parallel)
    count(SUITE, "quick", 3)
