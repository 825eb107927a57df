"""``treeboost calibrate --save`` and ``treeboost conformal``, and ``treeboost predict`` on the
files they write."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import treeboost as tb
from cli_calls import fails, ok


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """Train/calibration/test CSV files and trained models: binary, 3-class, regression and a
    two-quantile regression."""
    d = tmp_path_factory.mktemp("uncertainty_cli")
    rng = np.random.default_rng(0)
    n = 600
    X = rng.normal(size=(n, 3))
    frames = {"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2]}
    noise = rng.normal(size=n)
    labels = {
        "bin": (X[:, 0] + noise > 0).astype(int),
        "multi": np.digitize(X[:, 0] + 0.7 * noise, [-0.5, 0.5]),
        "reg": 2.0 * X[:, 0] + X[:, 1] + noise * (1.0 + np.abs(X[:, 2])),
    }
    parts = {"train": slice(0, 300), "cal": slice(300, 450), "test": slice(450, n)}
    for task, y in labels.items():
        for part, rows in parts.items():
            frame = pd.DataFrame({k: v[rows] for k, v in frames.items()})
            frame["y"] = y[rows]
            frame.to_csv(d / f"{task}_{part}.csv", index=False)
    base = {"n_jobs": 1, "max_depth": 3}
    params = {
        "bin": {"objective": "binary:logistic"},
        "multi": {"objective": "multi:softprob", "num_class": 3},
        "reg": {"objective": "reg:squarederror"},
        "quant": {"objective": "reg:quantileerror", "quantile_alpha": [0.1, 0.9]},
    }
    for name, p in params.items():
        task = "reg" if name == "quant" else name
        train = pd.read_csv(d / f"{task}_train.csv")
        dtrain = tb.Dataset(train.drop(columns="y"), train["y"])
        tb.train({**base, **p}, dtrain, 20).save_model(d / f"{name}.json")
    return d


def test_calibrate_save_then_predict(work, capsys):
    d = work
    out = ok(capsys, "calibrate", d / "bin.json", d / "bin_cal.csv", "--target", "y",
             "--method", "venn_abers", "--test", d / "bin_test.csv", "-o", d / "va.csv",
             "--save", d / "va.json")  # fmt: skip
    assert str(d / "va.json") in out
    ok(capsys, "predict", d / "va.json", d / "bin_test.csv", "-o", d / "va_pred.csv")
    written = pd.read_csv(d / "va.csv")
    predicted = pd.read_csv(d / "va_pred.csv")
    assert list(predicted.columns) == ["prob", "p0", "p1"]
    # The saved calibrator predicts exactly what calibrate wrote.
    np.testing.assert_allclose(predicted.to_numpy(), written.to_numpy(), rtol=0, atol=1e-15)
    assert (predicted["p0"] <= predicted["p1"]).all()
    # Plain model files still predict as before.
    ok(capsys, "predict", d / "bin.json", d / "bin_test.csv", "-o", d / "plain.csv")
    assert list(pd.read_csv(d / "plain.csv").columns) == ["prediction"]


@pytest.mark.parametrize("method", ["isotonic", "venn_abers"])
def test_calibrate_save_multiclass(work, capsys, method):
    d = work
    ok(capsys, "calibrate", d / "multi.json", d / "multi_cal.csv", "--target", "y",
       "--method", method, "--save", d / "multi_cal.json")  # fmt: skip
    ok(capsys, "predict", d / "multi_cal.json", d / "multi_test.csv", "-o", d / "mc.csv")
    frame = pd.read_csv(d / "mc.csv")
    proba = frame[["prob_0", "prob_1", "prob_2"]]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    if method == "venn_abers":
        assert list(frame.columns[3:]) == ["p0_0", "p1_0", "p0_1", "p1_1", "p0_2", "p1_2"]
    else:
        assert frame.shape[1] == 3


def test_conformal_help(capsys):
    out = ok(capsys, "conformal", "--help")
    assert out.startswith("usage: treeboost conformal") and "--method" in out


def test_conformal_split_regression(work, capsys):
    d = work
    pytest.importorskip("matplotlib")
    out = ok(capsys, "conformal", d / "reg.json", d / "reg_cal.csv", "--target", "y",
             "--alpha", "0.2", "--test", d / "reg_test.csv", "-o", d / "iv.csv",
             "--save", d / "split.json", "--plot", d / "iv.png")  # fmt: skip
    assert "coverage" in out and "mean width" in out and "0.8000" in out
    coverage = float(out.split("  coverage")[1].split()[0])
    assert 0.65 < coverage < 0.95
    intervals = pd.read_csv(d / "iv.csv")
    assert list(intervals.columns) == ["prediction", "lower", "upper"]
    assert (d / "iv.png").read_bytes()[:4] == b"\x89PNG"
    ok(capsys, "predict", d / "split.json", d / "reg_test.csv", "--alpha", "0.2",
       "-o", d / "iv2.csv")  # fmt: skip
    np.testing.assert_array_equal(pd.read_csv(d / "iv2.csv").to_numpy(), intervals.to_numpy())
    # Another level from the same file: wider intervals.
    ok(capsys, "predict", d / "split.json", d / "reg_test.csv", "--alpha", "0.05",
       "-o", d / "iv3.csv")  # fmt: skip
    wide = pd.read_csv(d / "iv3.csv")
    assert ((wide["upper"] - wide["lower"]) >= (intervals["upper"] - intervals["lower"])).all()


def test_conformal_cqr(work, capsys):
    d = work
    out = ok(capsys, "conformal", d / "quant.json", d / "reg_cal.csv", "--target", "y",
             "--method", "cqr", "--save", d / "cqr.json", "-o", d / "cqr.csv")  # fmt: skip
    assert "calibration rows themselves" in out
    ok(capsys, "predict", d / "cqr.json", d / "reg_cal.csv", "-o", d / "cqr2.csv")
    np.testing.assert_array_equal(
        pd.read_csv(d / "cqr2.csv").to_numpy(), pd.read_csv(d / "cqr.csv").to_numpy()
    )


@pytest.mark.parametrize("method", ["split", "mondrian"])
def test_conformal_sets(work, capsys, method):
    d = work
    out = ok(capsys, "conformal", d / "multi.json", d / "multi_cal.csv", "--target", "y",
             "--method", method, "--score", "aps", "--test", d / "multi_test.csv",
             "-o", d / "sets.csv", "--save", d / "sets.json")  # fmt: skip
    assert "mean set size" in out and "coverage by class" in out
    sets = pd.read_csv(d / "sets.csv")
    assert list(sets.columns) == ["set_0", "set_1", "set_2"]
    assert set(np.unique(sets.to_numpy())) <= {0, 1}
    ok(capsys, "predict", d / "sets.json", d / "multi_test.csv", "-o", d / "sets2.csv")
    np.testing.assert_array_equal(pd.read_csv(d / "sets2.csv").to_numpy(), sets.to_numpy())


def test_uncertainty_cli_errors(work, capsys):
    d = work
    common = ("--target", "y")
    fails(capsys, "conformal", d / "reg.json", d / "reg_cal.csv", *common, "--method", "cqr",
          mentions=["cqr", "reg:quantileerror"])  # fmt: skip
    fails(capsys, "conformal", d / "reg.json", d / "reg_cal.csv", *common, "--method",
          "mondrian", mentions="classifier")  # fmt: skip
    fails(capsys, "conformal", d / "quant.json", d / "reg_cal.csv", *common,
          mentions="--method cqr")  # fmt: skip
    fails(capsys, "conformal", d / "bin.json", d / "bin_cal.csv", *common, "--plot",
          d / "x.png", mentions="regression")  # fmt: skip
    fails(capsys, "conformal", d / "bin.json", d / "bin_cal.csv", *common, "--alpha", "1.5",
          mentions="--alpha")  # fmt: skip
    fails(capsys, "conformal", d / "bin.json", d / "bin_cal.csv", *common, "--save", "-",
          mentions="--save")  # fmt: skip
    ok(capsys, "conformal", d / "bin.json", d / "bin_cal.csv", *common, "--save",
       d / "bin_sets.json")  # fmt: skip
    fails(capsys, "predict", d / "bin_sets.json", d / "bin_test.csv", "-o", d / "p.csv",
          "--leaf", mentions="--leaf")  # fmt: skip
    fails(capsys, "predict", d / "bin.json", d / "bin_test.csv", "-o", d / "p.csv",
          "--alpha", "0.1", mentions="--alpha")  # fmt: skip
    text = (d / "bin_sets.json").read_text()
    (d / "broken.json").write_text(text[: len(text) // 2])
    fails(capsys, "predict", d / "broken.json", d / "bin_test.csv", "-o", d / "p.csv",
          mentions=["broken.json", "not valid JSON"])  # fmt: skip
