"""Calibrated and conformal models saved as one JSON file: identical predictions after loading,
for every method, and a one-line ValueError for every broken file."""

from __future__ import annotations

import json

import numpy as np
import pytest

import treeboost as tb
from treeboost.uncertainty.booster_models import BoosterClassifier, BoosterRegressor
from treeboost.uncertainty.persist import FORMAT, read_kind

SMALL = {"n_estimators": 8, "max_depth": 3, "n_jobs": 1, "learning_rate": 0.3}


def _data(n=240, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    if classes == 0:
        return X, X[:, 0] * 2.0 + rng.normal(size=n)
    score = X[:, 0] + 0.5 * rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return X, y


def _round_trip(model, tmp_path):
    path = tmp_path / "model.json"
    model.save(path)
    loaded = type(model).load(path)
    assert read_kind(path) == type(model).__name__
    # Saving the loaded model gives the same bytes: nothing was lost or changed on the way.
    assert loaded.save(tmp_path / "again.json") is None
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()
    return loaded


@pytest.mark.parametrize("method", ["sigmoid", "isotonic", "venn_abers"])
@pytest.mark.parametrize("classes", [2, 3])
def test_calibrated_prefit_round_trip(method, classes, tmp_path):
    X, y = _data(classes=classes)
    labels = np.array(["ant", "bee", "cat"])[y]
    model = tb.TreeBoostClassifier(**SMALL).fit(X[:120], labels[:120])
    calibrated = tb.calibration.CalibratedClassifier(model, method=method, cv="prefit")
    calibrated.fit(X[120:200], labels[120:200])
    loaded = _round_trip(calibrated, tmp_path)
    np.testing.assert_array_equal(loaded.predict_proba(X[200:]), calibrated.predict_proba(X[200:]))
    np.testing.assert_array_equal(loaded.predict(X[200:]), calibrated.predict(X[200:]))
    if method == "venn_abers":
        np.testing.assert_array_equal(
            loaded.predict_interval(X[200:]), calibrated.predict_interval(X[200:])
        )


@pytest.mark.parametrize("method", ["isotonic", "venn_abers"])
def test_calibrated_k_fold_round_trip(method, tmp_path):
    X, y = _data()
    calibrated = tb.calibration.CalibratedClassifier(
        tb.TreeBoostClassifier(**SMALL), method=method, cv=3, random_state=0
    ).fit(X[:200], y[:200])
    loaded = _round_trip(calibrated, tmp_path)
    assert len(loaded.calibrated_models_) == 3
    np.testing.assert_array_equal(loaded.predict_proba(X[200:]), calibrated.predict_proba(X[200:]))


def test_calibrated_booster_view_and_frames(tmp_path):
    import pandas as pd

    X, y = _data()
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    booster = tb.train(
        {"objective": "binary:logistic", "n_jobs": 1}, tb.Dataset(frame[:120], y[:120]), 5
    )
    calibrated = tb.calibration.CalibratedClassifier(BoosterClassifier(booster), cv="prefit")
    calibrated.fit(frame[120:200], y[120:200])
    loaded = _round_trip(calibrated, tmp_path)
    assert list(loaded.feature_names_in_) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(
        loaded.predict_proba(frame[200:]), calibrated.predict_proba(frame[200:])
    )


@pytest.mark.parametrize("score", ["lac", "aps", "raps"])
@pytest.mark.parametrize("mondrian", [False, True])
def test_conformal_classifier_round_trip(score, mondrian, tmp_path):
    X, y = _data(classes=3)
    model = tb.TreeBoostClassifier(**SMALL).fit(X[:120], y[:120])
    conformal = tb.conformal.ConformalClassifier(
        model, conformity_score=score, mondrian=mondrian, cv="prefit", random_state=3
    ).fit(X[120:200], y[120:200])
    loaded = _round_trip(conformal, tmp_path)
    test = X[200:]
    np.testing.assert_array_equal(loaded.predict_p(test), conformal.predict_p(test))
    np.testing.assert_array_equal(loaded.predict_set(test, 0.2), conformal.predict_set(test, 0.2))
    np.testing.assert_array_equal(loaded.predict_proba(test), conformal.predict_proba(test))


def test_conformal_classifier_split_and_cross_round_trip(tmp_path):
    X, y = _data(classes=3)
    for cv in ("split", 3):
        conformal = tb.conformal.ConformalClassifier(
            tb.TreeBoostClassifier(**SMALL), cv=cv, random_state=1
        ).fit(X[:200], y[:200])
        loaded = _round_trip(conformal, tmp_path)
        np.testing.assert_array_equal(loaded.predict_p(X[200:]), conformal.predict_p(X[200:]))


def test_conformal_regressor_split_round_trip(tmp_path):
    X, y = _data(classes=0)
    model = tb.TreeBoostRegressor(**SMALL).fit(X[:120], y[:120])
    sigma = tb.TreeBoostRegressor(**SMALL).fit(X[:120], np.abs(y[:120] - model.predict(X[:120])))
    for difficulty in (None, sigma):
        conformal = tb.conformal.ConformalRegressor(
            model, cv="prefit", difficulty_estimator=difficulty
        ).fit(X[120:200], y[120:200])
        loaded = _round_trip(conformal, tmp_path)
        for alpha in (0.1, [0.05, 0.2]):
            np.testing.assert_array_equal(
                loaded.predict_interval(X[200:], alpha), conformal.predict_interval(X[200:], alpha)
            )
        np.testing.assert_array_equal(loaded.predict(X[200:]), conformal.predict(X[200:]))


@pytest.mark.parametrize("method", ["cv_plus", "jackknife_plus"])
def test_conformal_regressor_folds_round_trip(method, tmp_path):
    X, y = _data(n=60, classes=0)
    conformal = tb.conformal.ConformalRegressor(
        tb.TreeBoostRegressor(**{**SMALL, "n_estimators": 3}),
        method=method,
        cv=3 if method == "cv_plus" else None,
        random_state=0,
    ).fit(X[:40], y[:40])
    loaded = _round_trip(conformal, tmp_path)
    np.testing.assert_array_equal(
        loaded.predict_interval(X[40:], 0.2), conformal.predict_interval(X[40:], 0.2)
    )


def test_conformal_regressor_cqr_round_trip(tmp_path):
    X, y = _data(classes=0)
    quantiles = tb.TreeBoostRegressor(
        objective="reg:quantileerror", quantile_alpha=[0.1, 0.9], **SMALL
    ).fit(X[:120], y[:120])
    lower, upper = (
        tb.TreeBoostRegressor(objective="reg:quantileerror", quantile_alpha=a, **SMALL).fit(
            X[:120], y[:120]
        )
        for a in (0.1, 0.9)
    )
    booster = BoosterRegressor(quantiles.get_booster())
    for estimator in (quantiles, (lower, upper), booster):
        conformal = tb.conformal.ConformalRegressor(estimator, method="cqr", cv="prefit")
        conformal.fit(X[120:200], y[120:200])
        loaded = _round_trip(conformal, tmp_path)
        np.testing.assert_array_equal(
            loaded.predict_interval(X[200:], 0.1), conformal.predict_interval(X[200:], 0.1)
        )


def test_loaded_models_keep_their_settings_and_refit(tmp_path):
    from sklearn.base import clone

    X, y = _data(classes=0)
    conformal = tb.conformal.ConformalRegressor(
        tb.TreeBoostRegressor(**SMALL), calibration_size=0.3, random_state=4
    ).fit(X[:200], y[:200])
    loaded = _round_trip(conformal, tmp_path)
    assert loaded.estimator_.get_params() == conformal.estimator_.get_params()
    assert loaded.calibration_size == 0.3 and loaded.random_state == 4
    np.testing.assert_array_equal(
        loaded.predict_interval(X[200:], 0.1), conformal.predict_interval(X[200:], 0.1)
    )
    # The loaded estimator is an ordinary one: it can be cloned and fitted again.
    refit = clone(loaded).fit(X[:200], y[:200])
    np.testing.assert_array_equal(
        refit.predict_interval(X[200:], 0.1), conformal.predict_interval(X[200:], 0.1)
    )


def test_foreign_estimators_are_refused(tmp_path):
    from sklearn.linear_model import LinearRegression, LogisticRegression

    X, y = _data()
    calibrated = tb.calibration.CalibratedClassifier(
        LogisticRegression().fit(X[:100], y[:100]), cv="prefit"
    ).fit(X[100:], y[100:])
    with pytest.raises(TypeError, match="LogisticRegression; only treeboost models"):
        calibrated.save(tmp_path / "x.json")
    reg = tb.conformal.ConformalRegressor(LinearRegression(), random_state=0).fit(X, X[:, 0])
    with pytest.raises(TypeError, match="LinearRegression"):
        reg.save(tmp_path / "x.json")
    with pytest.raises(ValueError, match="not fitted"):
        tb.conformal.ConformalClassifier().save(tmp_path / "x.json")
    model = tb.TreeBoostClassifier(**SMALL).fit(X[:100], y[:100])
    conformal = tb.conformal.ConformalClassifier(
        model, cv="prefit", random_state=np.random.default_rng(0)
    ).fit(X[100:], y[100:])
    with pytest.raises(TypeError, match="random_state"):
        conformal.save(tmp_path / "x.json")


# -- broken files ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def saved_text(tmp_path_factory):
    X, y = _data(classes=3)
    model = tb.TreeBoostClassifier(**{**SMALL, "n_estimators": 2}).fit(X[:120], y[:120])
    calibrated = tb.calibration.CalibratedClassifier(model, method="venn_abers", cv="prefit")
    return calibrated.fit(X[120:], y[120:])


def _one_line_error(text, cls=None):
    cls = cls or tb.calibration.CalibratedClassifier
    with pytest.raises(ValueError) as info:
        cls.load(text)
    message = str(info.value)
    assert "\n" not in message and message
    return message


def test_truncated_files_are_rejected(saved_text, tmp_path):
    text = json.dumps(json.loads(_text(saved_text, tmp_path)), separators=(",", ":"))
    offsets = sorted({*range(0, 200, 7), *np.linspace(0, len(text) - 1, 60).astype(int)})
    for offset in offsets:
        path = tmp_path / "cut.json"
        path.write_text(text[:offset])
        _one_line_error(path)


def _text(model, tmp_path):
    model.save(tmp_path / "full.json")
    return (tmp_path / "full.json").read_text()


def _edited(document, path, value):
    document = json.loads(json.dumps(document))
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return json.dumps(document)


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("format",), "treeboost", "not a treeboost-uncertainty file"),
        (("version",), 2, "version 2 is newer"),
        (("version",), 0, "version is 0"),
        (("version",), "1", "version is '1'"),
        (("kind",), "Other", "kind is 'Other'"),
        (("surprise",), 1, "unknown key 'surprise'"),
        (("classes",), _DELETE, "lacks the key 'classes'"),
        (("params", "method"), "platt", "params.method is 'platt'"),
        (("params", "extra"), 1, "params has the unknown key 'extra'"),
        (("n_features_in",), 5, "takes 4 features; the file says 5"),
        (("feature_names_in",), ["a"], "feature_names_in must hold"),
        (("classes", "values"), [2, 1, 0], "sorted"),
        (("classes", "dtype"), "object", "classes.dtype is 'object'"),
        (("folds",), [], "folds must be a non-empty list"),
        (("folds", 0, "calibrators"), [], "must be a list of 3 calibrators"),
        (("folds", 0, "calibrators", 0, "p0", 0), 1.5, "outside [0, 1]"),
        (("folds", 0, "calibrators", 0, "p1", 0), "x", "expected a number"),
        (("folds", 0, "calibrators", 0, "scores"), [2.0, 1.0], "strictly increasing"),
        (("folds", 0, "calibrators", 0, "p1"), [0.5], "expected"),
        (("folds", 0, "estimator", "type"), "LogisticRegression", "estimator.type"),
        (("folds", 0, "estimator", "params", "bogus"), 1, "unknown parameter 'bogus'"),
        (("folds", 0, "estimator", "table_input"), 1, "table_input is 1"),
        (("folds", 0, "estimator", "params", "max_depth"), -2, "params.max_depth is not valid"),
        (("folds", 0, "estimator", "params", "n_estimators"), "8", "params.n_estimators is"),
        (("folds", 0, "estimator", "booster", "trees"), 3, "not a valid treeboost model"),
        (("folds", 0, "estimator", "booster", "format"), "x", "not a valid treeboost model"),
        (("folds", 0, "estimator", "classes", "values"), [0, 1], "3 outputs"),
    ],
)
def test_edited_fields_are_rejected(saved_text, tmp_path, path, value, expected):
    document = json.loads(_text(saved_text, tmp_path))
    message = _one_line_error(_edited(document, path, value))
    assert expected in message, message


def test_other_broken_files(saved_text, tmp_path):
    text = _text(saved_text, tmp_path)
    assert "NaN" in _one_line_error(text.replace('"a":', '"a":NaN,"b0":', 1) if '"a":' in text else
                                    text[:-1] + ',"x":NaN}')  # fmt: skip
    assert "twice" in _one_line_error(text[:-1] + ',"kind":"CalibratedClassifier"}')
    assert "load it with CalibratedClassifier.load" in _one_line_error(
        text, tb.conformal.ConformalClassifier
    )
    assert "cannot read" in _one_line_error(tmp_path / "missing.json")
    assert "not valid JSON" in _one_line_error(b"\xff\xfe{")
    assert FORMAT in _one_line_error("[1, 2]")
