"""The ``treeboost`` command line. Most cases call ``cli.main`` in-process (fast); a few run
``python -m treeboost`` as a subprocess to check exit codes and stderr end to end."""

import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import treeboost as tb
from cli_calls import fails, ok
from treeboost import cli
from treeboost.cli import _io
from treeboost.cli._training import parse_value
from treeboost.training import progress
from treeboost.training.progress import TrainingProgress

REPO = Path(__file__).resolve().parents[1]
AGARICUS = REPO.parent / "shared" / "data" / "xgboost-demo" / "agaricus.txt.train"
AGARICUS_TEST = AGARICUS.with_name("agaricus.txt.test")


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "treeboost", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """Regression, binary and multiclass CSV files (and a Parquet copy), with trained models."""
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    reg = frame.assign(y=2 * X[:, 0] + X[:, 1] + rng.normal(scale=0.1, size=300))
    reg.to_csv(d / "reg.csv", index=False)
    reg.to_parquet(d / "reg.parquet", index=False)
    frame.assign(y=(X[:, 0] + X[:, 1] > 0).astype(int)).to_csv(d / "bin.csv", index=False)
    frame.assign(y=np.digitize(X[:, 0], [-0.5, 0.5])).to_csv(d / "multi.csv", index=False)
    for args in (
        ["reg.csv", "--rounds", "20", "-o", "reg.json"],
        ["bin.csv", "--objective", "binary:logistic", "--rounds", "10", "-o", "bin.json"],
        ["multi.csv", "--objective", "multi:softprob", "--rounds", "5", "-o", "multi.json"],
    ):
        paths = [str(d / a) if a.endswith((".csv", ".json")) else a for a in args]
        assert cli.main(["train", *paths, "--target", "y", "--quiet"]) == 0
    return d


# -- train -----------------------------------------------------------------------------------


def test_train_prints_final_metrics_and_writes_a_loadable_model(work, capsys):
    out = ok(
        capsys, "train", work / "reg.csv", "--target", "y", "--rounds", "40",
        "--valid-fraction", "0.25", "--early-stopping", "5", "--param", "max_depth=3",
        "--param", "learning_rate=0.2", "-o", work / "es.json",
    )  # fmt: skip
    assert "train-rmse" in out and "valid-rmse" in out
    assert "best iteration:" in out
    assert "[0]" not in out and "training" not in out  # stdout is not a terminal: no progress
    booster = tb.Booster.load_model(work / "es.json")
    assert booster.feature_names == ["a", "b", "c", "d"]
    assert booster.params["max_depth"] == 3
    assert booster.params["learning_rate"] == pytest.approx(0.2)
    assert booster.best_iteration is not None
    assert f"best iteration: {booster.best_iteration}" in out


def test_train_valid_fraction_split_is_seeded(work, capsys):
    base = ["train", work / "reg.csv", "--target", "y", "--rounds", "5", "--valid-fraction", "0.2"]
    a = ok(capsys, *base, "-o", work / "s1.json")
    b = ok(capsys, *base, "-o", work / "s2.json")
    ok(capsys, *base, "--seed", "1", "-o", work / "s3.json")
    assert (work / "s1.json").read_text() == (work / "s2.json").read_text()
    assert a.replace("s1", "s2") == b
    assert (work / "s1.json").read_text() != (work / "s3.json").read_text()


def test_train_quiet_prints_nothing_even_on_a_terminal(work, capsys, monkeypatch):
    monkeypatch.setattr(_io, "stdout_is_tty", lambda: True)
    out = ok(capsys, "train", work / "reg.csv", "--target", "y", "--rounds", "3", "--quiet",
             "-o", work / "q.json")  # fmt: skip
    assert out == ""


def test_train_with_valid_file_and_multiclass_num_class_inferred(work, capsys):
    ok(capsys, "train", work / "multi.csv", "--target", "y", "--objective", "multi:softprob",
       "--rounds", "3", "--valid", work / "multi.csv", "-o", work / "mv.json")  # fmt: skip
    booster = tb.Booster.load_model(work / "mv.json")
    assert booster.n_outputs == 3
    assert booster.params["num_class"] == 3


def test_progress_bar_on_a_terminal(work, capsys, monkeypatch):
    monkeypatch.setattr(_io, "stdout_is_tty", lambda: True)
    out = ok(capsys, "train", work / "reg.csv", "--target", "y", "--rounds", "25",
             "--valid-fraction", "0.2", "-o", work / "tty.json")  # fmt: skip
    bar = next(line for line in out.splitlines() if line.startswith("training"))
    assert "25/25" in bar and "train-rmse" in bar and "valid-rmse" in bar
    assert out.index("training") < out.index("best iteration")


def test_progress_falls_back_to_lines_without_rich(work, capsys, monkeypatch):
    monkeypatch.setattr(_io, "stdout_is_tty", lambda: True)
    monkeypatch.setattr(progress, "rich_available", lambda: False)
    out = ok(capsys, "train", work / "reg.csv", "--target", "y", "--rounds", "25",
             "-o", work / "tty.json")  # fmt: skip
    rounds = [line.split("]")[0] for line in out.splitlines() if line.startswith("[")]
    assert rounds == ["[0", "[10", "[20", "[24"]
    assert "train-rmse" in out.splitlines()[0]


def test_training_progress_callback_modes(work):
    frame = pd.read_csv(work / "reg.csv")
    dtrain = tb.Dataset(frame.drop(columns=["y"]), label=frame["y"])
    lines = io.StringIO()
    tb.train({}, dtrain, 7, evals=[(dtrain, "fit")],
             callbacks=[TrainingProgress(7, mode="lines", period=3, file=lines)])  # fmt: skip
    assert [line.split()[0] for line in lines.getvalue().splitlines()] == ["[0]", "[3]", "[6]"]
    assert lines.getvalue().splitlines()[0].split()[1] == "fit-rmse"
    bar = io.StringIO()
    tb.train({}, dtrain, 7, evals=[(dtrain, "fit")],
             callbacks=[TrainingProgress(7, mode="bar", file=bar)])  # fmt: skip
    assert "7/7" in bar.getvalue() and "fit-rmse" in bar.getvalue()
    stopped = io.StringIO()
    dvalid = tb.Dataset(frame.drop(columns=["y"]), label=-frame["y"], reference=dtrain)
    tb.train({}, dtrain, 50, evals=[(dvalid, "anti")], early_stopping_rounds=2,
             callbacks=[TrainingProgress(50, mode="bar", file=stopped)])  # fmt: skip
    assert stopped.getvalue().startswith("stopped early") and "/50" in stopped.getvalue()
    with pytest.raises(ValueError, match="mode='fancy'"):
        TrainingProgress(7, mode="fancy")
    with pytest.raises(ValueError, match="period=0"):
        TrainingProgress(7, period=0)


def test_library_training_is_quiet_by_default(work, capsys):
    frame = pd.read_csv(work / "reg.csv")
    dtrain = tb.Dataset(frame.drop(columns=["y"]), label=frame["y"])
    tb.train({}, dtrain, 3, evals=[(dtrain, "train")])
    assert capsys.readouterr() == ("", "")


def test_param_values_are_typed():
    assert parse_value("3") == 3
    assert parse_value("0.5") == 0.5
    assert parse_value("True") is True
    assert parse_value("false") is False
    assert parse_value("lossguide") == "lossguide"
    assert parse_value("auc,logloss") == ["auc", "logloss"]


@pytest.mark.skipif(not AGARICUS.exists(), reason="agaricus demo data not available")
def test_libsvm_train_predict_evaluate(tmp_path, capsys):
    ok(capsys, "train", AGARICUS, "--objective", "binary:logistic", "--rounds", "5",
       "--valid", AGARICUS_TEST, "-o", tmp_path / "ag.json")  # fmt: skip
    out = ok(capsys, "evaluate", tmp_path / "ag.json", AGARICUS_TEST)
    scores = dict(line.split() for line in out.splitlines()[2:])
    assert float(scores["auc"]) > 0.99 and float(scores["error"]) < 0.05
    ok(capsys, "predict", tmp_path / "ag.json", AGARICUS_TEST, "-o", tmp_path / "p.csv")
    pred = pd.read_csv(tmp_path / "p.csv")
    assert list(pred.columns) == ["prediction"] and len(pred) == 1611
    assert pred["prediction"].between(0, 1).all()


def test_text_columns_train_as_categorical_features(work, capsys):
    rng = np.random.default_rng(7)
    colour = rng.choice(["red", "green", "blue"], size=120)
    frame = pd.DataFrame({"colour": colour, "size": rng.normal(size=120)})
    frame["y"] = (colour == "red") * 2.0 + frame["size"]
    frame.to_csv(work / "cat.csv", index=False)
    ok(capsys, "train", work / "cat.csv", "--target", "y", "--rounds", "10", "--quiet",
       "-o", work / "cat.json")  # fmt: skip
    booster = tb.Booster.load_model(work / "cat.json")
    assert booster.feature_types[0] == "c"
    frame.head(5).drop(columns=["y"]).to_csv(work / "cat_new.csv", index=False)
    ok(capsys, "predict", work / "cat.json", work / "cat_new.csv", "-o", work / "cat_p.csv")
    expected = booster.predict(frame.head(5).drop(columns=["y"]))
    np.testing.assert_allclose(pd.read_csv(work / "cat_p.csv")["prediction"], expected)


# -- Parquet ---------------------------------------------------------------------------------


def test_parquet_train_predict_evaluate_match_csv(work, capsys):
    ok(capsys, "train", work / "reg.parquet", "--target", "y", "--rounds", "20", "--quiet",
       "-o", work / "pq.json")  # fmt: skip
    # Same rows, same model as from the CSV file.
    assert (work / "pq.json").read_text() == (work / "reg.json").read_text()
    ok(capsys, "predict", work / "pq.json", work / "reg.parquet", "-o", work / "pq.csv")
    ok(capsys, "predict", work / "reg.json", work / "reg.csv", "-o", work / "csv.csv")
    assert (work / "pq.csv").read_text() == (work / "csv.csv").read_text()
    out = ok(capsys, "evaluate", work / "pq.json", work / "reg.parquet", "--target", "y")
    assert out.splitlines()[2].split()[0] == "rmse"


def test_parquet_with_valid_file_and_explicit_format(work, capsys):
    (work / "reg.data").write_bytes((work / "reg.parquet").read_bytes())
    ok(capsys, "train", work / "reg.data", "--format", "parquet", "--target", "y",
       "--rounds", "4", "--valid", work / "reg.parquet", "-o", work / "pqv.json")  # fmt: skip
    assert tb.Booster.load_model(work / "pqv.json").num_boosted_rounds() == 4


def test_parquet_errors(work, capsys):
    base = ["--target", "y", "-o", work / "m.json"]
    fails(capsys, "train", work / "reg.parquet", "--target", "zz", "-o", work / "m.json",
          mentions=["'zz'", "reg.parquet", "columns: a, b, c, d, y"])  # fmt: skip
    (work / "junk.parquet").write_text("a,b,y\n1,2,3\n")
    fails(capsys, "train", work / "junk.parquet", *base, mentions=["junk.parquet", "Parquet"])
    fails(capsys, "train", work / "reg.csv", "--format", "parquet", *base,
          mentions=["reg.csv", "Parquet"])  # fmt: skip
    pd.read_parquet(work / "reg.parquet").drop(columns=["c"]).to_parquet(work / "noc.parquet")
    fails(capsys, "predict", work / "reg.json", work / "noc.parquet", "-o", work / "p.csv",
          mentions=["'c'", "noc.parquet"])  # fmt: skip
    fails(capsys, "train", work / "missing.parquet", *base, mentions="missing.parquet")


# -- predict ---------------------------------------------------------------------------------


def test_predict_drops_the_target_and_matches_the_library(work, capsys):
    out = ok(capsys, "predict", work / "reg.json", work / "reg.csv", "-o", work / "p.csv")
    assert "wrote 300 rows x 1 columns" in out
    pred = pd.read_csv(work / "p.csv")
    assert list(pred.columns) == ["prediction"]
    booster = tb.Booster.load_model(work / "reg.json")
    X = pd.read_csv(work / "reg.csv").drop(columns=["y"])
    np.testing.assert_allclose(pred["prediction"], booster.predict(X), rtol=1e-12)


def test_predict_reorders_columns_by_feature_name(work, capsys):
    frame = pd.read_csv(work / "reg.csv")
    frame[["y", "d", "c", "b", "a"]].to_csv(work / "shuffled.csv", index=False)
    ok(capsys, "predict", work / "reg.json", work / "shuffled.csv", "-o", work / "p1.csv")
    ok(capsys, "predict", work / "reg.json", work / "reg.csv", "-o", work / "p2.csv")
    assert (work / "p1.csv").read_text() == (work / "p2.csv").read_text()


def test_predict_multiclass_margin_leaf_contribs(work, capsys):
    def predict(model, *flags):
        ok(capsys, "predict", work / model, work / model.replace(".json", ".csv"), *flags,
           "-o", work / "out.csv")  # fmt: skip
        return pd.read_csv(work / "out.csv")

    prob = predict("multi.json")
    assert list(prob.columns) == ["prob_0", "prob_1", "prob_2"]
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, rtol=1e-9)
    assert list(predict("multi.json", "--margin").columns) == ["margin_0", "margin_1", "margin_2"]
    assert list(predict("multi.json", "--leaf").columns) == [f"leaf_{i}" for i in range(15)]
    contribs = predict("bin.json", "--contribs")
    assert list(contribs.columns) == ["a", "b", "c", "d", "bias"]
    margin = predict("bin.json", "--margin")
    assert list(margin.columns) == ["margin"]
    np.testing.assert_allclose(contribs.sum(axis=1), margin["margin"], atol=1e-6)


def test_predict_to_stdout(work, capsys):
    out = ok(capsys, "predict", work / "bin.json", work / "bin.csv", "-o", "-")
    lines = out.splitlines()
    assert lines[0] == "prediction" and len(lines) == 301


# -- evaluate and info -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "data", "names"),
    [
        ("reg.json", "reg.csv", ["rmse", "mae"]),
        ("bin.json", "bin.csv", ["auc", "logloss", "error"]),
        ("multi.json", "multi.csv", ["mlogloss", "merror"]),
    ],
)
def test_evaluate_prints_the_task_metrics(work, capsys, model, data, names):
    out = ok(capsys, "evaluate", work / model, work / data, "--target", "y")
    rows = out.splitlines()[2:]
    assert [row.split()[0] for row in rows] == names
    booster = tb.Booster.load_model(work / model)
    frame = pd.read_csv(work / data)
    expected = tb.metrics.get_metric(names[0])(
        frame["y"].to_numpy(float), booster.predict(frame.drop(columns=["y"]))
    )
    assert float(rows[0].split()[1]) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("params", "label", "names"),
    [
        ({"objective": "count:poisson"}, "count", ["rmse", "mae", "poisson-nloglik"]),
        ({"objective": "reg:quantileerror", "quantile_alpha": [0.2, 0.8]}, "a", ["quantile"]),
        ({"objective": "binary:logitraw"}, "bin", ["auc", "logloss", "error"]),
        ({"objective": "multi:softmax", "num_class": 3}, "multi", ["mlogloss", "merror"]),
    ],
    ids=["poisson", "quantile", "logitraw", "softmax"],
)
def test_evaluate_other_objectives(work, capsys, params, label, names):
    frame = pd.read_csv(work / "multi.csv")
    y = {"count": np.round(np.exp(frame["a"])), "a": frame["a"], "bin": frame["y"] > 0,
         "multi": frame["y"]}[label].to_numpy(dtype=float)  # fmt: skip
    X = frame.drop(columns=["y"])
    booster = tb.train(params, tb.Dataset(X, label=y), 5)
    booster.save_model(work / "other.json")
    frame.assign(y=y).to_csv(work / "other.csv", index=False)
    out = ok(capsys, "evaluate", work / "other.json", work / "other.csv", "--target", "y")
    rows = dict(line.split() for line in out.splitlines()[2:])
    assert list(rows) == names
    values = np.array([float(v) for v in rows.values()])
    assert np.all(np.isfinite(values))
    if label in ("bin", "multi"):  # scored on probabilities rebuilt from the margins
        error = rows["error" if label == "bin" else "merror"]
        predicted = booster.predict(X, output_margin=True)
        predicted = predicted > 0 if label == "bin" else predicted.argmax(axis=1)
        assert float(error) == pytest.approx(np.mean(predicted != y), abs=1e-6)


def test_info_describes_the_model(work, capsys):
    out = ok(capsys, "info", work / "multi.json")
    assert "objective: multi:softprob" in out
    assert "features: 4" in out and "a, b, c, d" in out
    assert "trees: 15" in out and "rounds: 5" in out
    assert "best iteration: none" in out
    assert "learning_rate: 0.3" in out and "num_class: 3" in out


@pytest.mark.parametrize(
    "command",
    ["train", "predict", "evaluate", "explain", "calibrate", "conformal", "tune", "info", "demo",
     "warmup"],  # fmt: skip
)
def test_help_works_on_every_command(command, capsys):
    out = ok(capsys, command, "--help")
    assert out.startswith(f"usage: treeboost {command}")


def test_every_command_is_a_module_and_main_stays_the_function():
    from treeboost.cli import _app

    assert list(_app.COMMANDS) == [
        "train", "predict", "evaluate", "explain", "calibrate", "conformal", "tune", "info", "demo",
        "warmup",
    ]  # fmt: skip
    for name, module in _app.COMMANDS.items():
        assert module.__name__ == f"treeboost.cli.{name}"
        assert callable(module.add_parser) and callable(module.run)
    # Loading every command module must not replace the package's main() by a submodule.
    assert callable(cli.main) and cli.main.__module__ == "treeboost.cli"


def test_train_and_tune_ask_the_one_terminal_check(work, capsys, monkeypatch):
    pytest.importorskip("treeboost.tune")
    asked = []
    monkeypatch.setattr(_io, "stdout_is_tty", lambda: asked.append(True) and False)
    ok(capsys, "train", work / "reg.csv", "--target", "y", "--rounds", "2",
       "-o", work / "asked.json")  # fmt: skip
    ok(capsys, "tune", work / "reg.csv", "--target", "y", "--trials", "1", "--rounds", "3",
       "--early-stopping", "2", "-o", work / "asked_tuned.json")  # fmt: skip
    assert len(asked) == 2


# -- explain ---------------------------------------------------------------------------------


def test_explain_writes_importance_csv_and_plots(work, capsys):
    pytest.importorskip("matplotlib")
    out = ok(capsys, "explain", work / "reg.json", work / "reg.csv", "-o", work / "imp.csv",
             "--plot", work / "shap.png", "--importance-plot", work / "bars.png")  # fmt: skip
    table = pd.read_csv(work / "imp.csv")
    assert list(table.columns) == [
        "feature", "mean_abs_shap", "total_gain", "gain", "weight", "cover"
    ]  # fmt: skip
    booster = tb.Booster.load_model(work / "reg.json")
    X = pd.read_csv(work / "reg.csv").drop(columns=["y"])
    expected = np.abs(booster.predict(X, pred_contribs=True)[:, :-1]).mean(axis=0)
    by_name = dict(zip(table["feature"], table["mean_abs_shap"]))
    np.testing.assert_allclose([by_name[n] for n in "abcd"], expected, rtol=1e-9)
    assert list(table["feature"][:2]) == ["a", "b"]  # y = 2a + b + noise
    assert table["mean_abs_shap"].is_monotonic_decreasing
    gain = booster.get_score("total_gain")
    assert dict(zip(table["feature"], table["total_gain"]))["a"] == pytest.approx(gain["a"])
    for png in ("shap.png", "bars.png"):
        assert (work / png).read_bytes().startswith(b"\x89PNG") and (
            work / png
        ).stat().st_size > 5000
    assert out.splitlines()[0].startswith("explained 300 rows")
    assert out.splitlines()[1].split()[0] == "a"


def test_explain_multiclass_sample_and_stdout(work, capsys):
    out = ok(capsys, "explain", work / "multi.json", work / "multi.csv", "-o", "-",
             "--sample", "50")  # fmt: skip
    table = pd.read_csv(io.StringIO(out))
    per_class = table[["mean_abs_shap_0", "mean_abs_shap_1", "mean_abs_shap_2"]].to_numpy()
    np.testing.assert_allclose(table["mean_abs_shap"], per_class.mean(axis=1))
    assert table["feature"][0] == "a"  # the classes are cut on a
    fails(capsys, "explain", work / "multi.json", work / "multi.csv", "-o", work / "m.csv",
          "--plot", work / "m.png", mentions=["--output-class", "0 to 2"])  # fmt: skip
    fails(capsys, "explain", work / "multi.json", work / "multi.csv", "-o", work / "m.csv",
          "--output-class", "3", mentions="--output-class 3 is out of range")  # fmt: skip


def test_explain_errors(work, capsys):
    w = work
    base = ["explain", w / "reg.json", w / "reg.csv"]
    fails(capsys, *base, mentions="--output")
    fails(capsys, *base, "-o", w / "i.csv", "--sample", "0", mentions="--sample 0")
    fails(capsys, *base, "-o", w / "i.csv", "--max-display", "0", mentions="--max-display 0")
    fails(capsys, *base, "-o", w / "i.csv", "--plot", w / "nodir" / "s.png", mentions="nodir")
    fails(capsys, *base, "-o", w / "i.csv", "--plot", "-", mentions="'-'")
    pd.read_csv(w / "reg.csv").drop(columns=["b"]).to_csv(w / "no_b.csv", index=False)
    fails(capsys, "explain", w / "reg.json", w / "no_b.csv", "-o", w / "i.csv", mentions="'b'")
    fails(capsys, "explain", w / "nope.json", w / "reg.csv", "-o", w / "i.csv",
          mentions="nope.json")  # fmt: skip


# -- calibrate -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy(tmp_path_factory):
    """An overfitted, overconfident binary model with separate calibration and test files."""
    d = tmp_path_factory.mktemp("calibrate")
    rng = np.random.default_rng(5)
    X = rng.normal(size=(900, 3))
    y = (X[:, 0] + rng.normal(scale=1.0, size=900) > 0).astype(int)
    frame = pd.DataFrame(X, columns=["u", "v", "w"]).assign(label=y)
    for name, rows in (("fit", slice(0, 300)), ("cal", slice(300, 600)), ("test", slice(600, 900))):
        frame.iloc[rows].to_csv(d / f"{name}.csv", index=False)
    params = {"objective": "binary:logistic", "learning_rate": 0.5, "max_depth": 6}
    fit = frame.iloc[:300]
    tb.train(params, tb.Dataset(fit[["u", "v", "w"]], label=fit["label"]), 60).save_model(
        d / "over.json"
    )
    return d


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibrate_improves_an_overconfident_model(noisy, capsys, method):
    d = noisy
    out = ok(capsys, "calibrate", d / "over.json", d / "cal.csv", "--target", "label",
             "--method", method, "--test", d / "test.csv", "-o", d / "cal_prob.csv")  # fmt: skip
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[3:6]}
    assert set(rows) == {"logloss", "brier", "ece"}
    for name, (model, calibrated) in rows.items():
        assert float(calibrated) < float(model), (name, model, calibrated)
    prob = pd.read_csv(d / "cal_prob.csv")
    assert list(prob.columns) == ["prob"] and len(prob) == 300
    assert prob["prob"].between(0, 1).all()
    y = pd.read_csv(d / "test.csv")["label"].to_numpy()
    expected = np.mean((prob["prob"].to_numpy() - y) ** 2)
    assert float(rows["brier"][1]) == pytest.approx(expected, abs=1e-4)
    assert f"on 300 rows of {d / 'test.csv'}" in out


def test_calibrate_venn_abers_interval_and_plot(noisy, capsys):
    pytest.importorskip("matplotlib")
    d = noisy
    out = ok(capsys, "calibrate", d / "over.json", d / "cal.csv", "--target", "label",
             "--method", "venn_abers", "-o", d / "va.csv", "--plot", d / "rel.png")  # fmt: skip
    assert "pass --test DATA" in out  # scored on the calibration rows: says so
    va = pd.read_csv(d / "va.csv")
    assert list(va.columns) == ["prob", "p0", "p1"]
    assert (va["p0"] <= va["p1"] + 1e-12).all()
    assert (d / "rel.png").read_bytes().startswith(b"\x89PNG")


def test_calibrate_multiclass(work, capsys):
    out = ok(capsys, "calibrate", work / "multi.json", work / "multi.csv", "--target", "y",
             "--method", "sigmoid", "-o", "-")  # fmt: skip
    prob = pd.read_csv(io.StringIO(out))
    assert list(prob.columns) == ["prob_0", "prob_1", "prob_2"]
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, atol=1e-9)


def test_calibrate_errors(work, noisy, capsys):
    d = noisy
    fails(capsys, "calibrate", work / "reg.json", work / "reg.csv", "--target", "y",
          mentions=["classification", "reg:squarederror"])  # fmt: skip
    fails(capsys, "calibrate", work / "bin.json", work / "reg.csv", "--target", "y",
          mentions=["class indices 0 to 1", "reg.csv"])  # fmt: skip
    fails(capsys, "calibrate", d / "over.json", d / "cal.csv", "--target", "label",
          "--method", "beta", mentions=["--method", "'beta'"])  # fmt: skip
    fails(capsys, "calibrate", d / "over.json", d / "cal.csv", mentions="--target")
    fails(capsys, "calibrate", d / "over.json", d / "cal.csv", "--target", "label",
          "--n-bins", "0", mentions="--n-bins 0")  # fmt: skip
    fails(capsys, "calibrate", d / "over.json", d / "cal.csv", "--target", "label",
          "--test", d / "none.csv", mentions="none.csv")  # fmt: skip
    pd.read_csv(d / "cal.csv").assign(label=1).to_csv(d / "one.csv", index=False)
    fails(capsys, "calibrate", d / "over.json", d / "one.csv", "--target", "label",
          mentions="single class")  # fmt: skip


# -- tune ------------------------------------------------------------------------------------


def test_tune_saves_the_best_trial(work, capsys):
    pytest.importorskip("treeboost.tune")
    w = work
    out = ok(capsys, "tune", w / "bin.csv", "--target", "y", "--objective", "binary:logistic",
             "--param", "max_depth=2", "--trials", "3", "--rounds", "20", "--early-stopping", "5",
             "--best-params", w / "best.json", "--history", w / "hist.json",
             "-o", w / "tuned.json")  # fmt: skip
    assert out.startswith("tune: random search over ")
    best = json.loads((w / "best.json").read_text())
    history = json.loads((w / "hist.json").read_text())
    scores = [t["score"] for t in history["trials"]]
    assert len(scores) == 3 and best["score"] == min(scores)  # logloss: lower is better
    assert best["metric"] == "valid-logloss" and best["params"]["max_depth"] == 2
    assert all("max_depth" not in t["config"] for t in history["trials"])  # fixed, not searched
    booster = tb.Booster.load_model(w / "tuned.json")
    assert booster.best_score == pytest.approx(best["score"])
    assert booster.best_iteration + 1 == best["num_boost_round"]
    assert booster.params["max_depth"] == 2
    assert f"valid-logloss {best['score']:.6f}" in out


def test_tune_search_space_respects_fixed_parameters():
    pytest.importorskip("treeboost.tune")
    from treeboost.cli.tune import search_space

    space = search_space("binary", {"grow_policy": "depthwise", "learning_rate": 0.1})
    assert "grow_policy" not in space.names and "learning_rate" not in space.names
    assert "max_leaves" not in space.names  # only active under lossguide
    space = search_space("regression", {"grow_policy": "lossguide"})
    assert "max_leaves" in space.names and space.params["max_leaves"].condition is None


def test_tune_errors(work, capsys):
    pytest.importorskip("treeboost.tune")
    w = work
    base = ["tune", w / "reg.csv", "--target", "y", "-o", w / "t.json"]
    fails(capsys, *base, "--trials", "0", mentions="--trials 0")
    fails(capsys, *base, "--time-budget", "0", mentions="--time-budget")
    fails(capsys, *base, "--rounds", "0", mentions="--rounds 0")
    fails(capsys, *base, "--param", "max_dpth=3", mentions=["max_dpth", "max_depth"])
    fails(capsys, *base, "--strategy", "annealing", mentions=["--strategy", "'annealing'"])
    fails(capsys, "tune", w / "reg.csv", "--target", "y", "-o", "-", mentions="'-'")
    fails(capsys, *base, "--objective", "rank:ndcg", mentions="rank:ndcg")


# -- errors ----------------------------------------------------------------------------------


def test_error_missing_files(work, capsys):
    w = work
    fails(capsys, "train", w / "nope.csv", "--target", "y", "-o", w / "m.json", mentions="nope.csv")
    fails(
        capsys, "predict", w / "nope.json", w / "reg.csv", "-o", w / "p.csv", mentions="nope.json"
    )
    fails(capsys, "predict", w / "reg.json", w / "nope.csv", "-o", w / "p.csv", mentions="nope.csv")
    fails(capsys, "evaluate", w / "reg.json", w / "nope.csv", "--target", "y", mentions="nope.csv")
    fails(capsys, "info", w / "nope.json", mentions="nope.json")
    fails(capsys, "info", w, mentions="is a directory")


def test_error_unknown_columns(work, capsys):
    w = work
    fails(capsys, "train", w / "reg.csv", "--target", "zz", "-o", w / "m.json", mentions="'zz'")
    fails(capsys, "evaluate", w / "reg.json", w / "reg.csv", "--target", "zz", mentions="'zz'")
    pd.read_csv(w / "reg.csv").drop(columns=["b"]).to_csv(w / "nob.csv", index=False)
    fails(capsys, "predict", w / "reg.json", w / "nob.csv", "-o", w / "p.csv",
          mentions=["'b'", "nob.csv"])  # fmt: skip
    fails(capsys, "train", w / "reg.csv", "-o", w / "m.json", mentions="--target")


def test_error_wrong_format(work, capsys):
    w = work
    (w / "reg.dat").write_text((w / "reg.csv").read_text())
    fails(capsys, "train", w / "reg.dat", "--target", "y", "-o", w / "m.json", mentions="--format")
    fails(capsys, "train", w / "reg.csv", "--format", "libsvm", "-o", w / "m.json",
          mentions=["reg.csv", "LibSVM"])  # fmt: skip
    fails(capsys, "train", w / "reg.csv", "--format", "xls", "-o", w / "m.json",
          mentions=["--format", "'xls'"])  # fmt: skip
    (w / "text.csv").write_text("a,b,y\nx,1,no\nz,3,yes\n")
    fails(capsys, "train", w / "text.csv", "--target", "y", "-o", w / "m.json",
          mentions=["'y'", "numeric"])  # fmt: skip
    (w / "empty.csv").write_text("")
    fails(capsys, "train", w / "empty.csv", "--target", "y", "-o", w / "m.json",
          mentions="empty.csv")  # fmt: skip


def test_error_bad_parameters(work, capsys):
    w = work
    base = ["train", w / "reg.csv", "--target", "y", "-o", w / "m.json"]
    fails(capsys, *base, "--param", "max_depth=abc", mentions="max_depth")
    fails(capsys, *base, "--param", "max_dpth=3", mentions=["max_dpth", "max_depth"])
    fails(capsys, *base, "--param", "noequals", mentions="noequals")
    fails(capsys, *base, "--objective", "foo:bar", mentions="foo:bar")
    fails(capsys, *base, "--rounds", "x", mentions="--rounds")
    fails(capsys, *base, "--rounds", "-1", mentions="--rounds")
    fails(capsys, *base, "--valid-fraction", "1.5", mentions="--valid-fraction")
    fails(capsys, *base, "--early-stopping", "3", mentions="--early-stopping")
    fails(capsys, *base, "--valid", w / "reg.csv", "--valid-fraction", "0.2", mentions="--valid")
    fails(capsys, "train", w / "reg.csv", "--target", "y", mentions="--output")
    fails(capsys, "frobnicate", mentions="frobnicate")
    fails(capsys, "predict", w / "reg.json", w / "reg.csv", "--leaf", "--contribs",
          "-o", w / "p.csv", mentions="--contribs")  # fmt: skip
    fails(capsys, "predict", w / "reg.json", w / "reg.csv", "-o", w / "nodir" / "p.csv",
          mentions="nodir")  # fmt: skip


def test_error_malformed_model_files(work, capsys):
    w = work
    (w / "notjson.json").write_text("not json at all")
    fails(capsys, "info", w / "notjson.json", mentions="notjson.json")
    (w / "other.json").write_text(json.dumps({"format": "xgboost"}))
    fails(capsys, "predict", w / "other.json", w / "reg.csv", "-o", w / "p.csv",
          mentions="other.json")  # fmt: skip
    doc = json.loads((w / "reg.json").read_text())
    doc["trees"] = "broken"
    (w / "broken.json").write_text(json.dumps(doc))
    fails(capsys, "evaluate", w / "broken.json", w / "reg.csv", "--target", "y",
          mentions="broken.json")  # fmt: skip


# -- end to end, as a separate process ---------------------------------------------------------


def test_subprocess_parquet_train_and_predict(work):
    """train and predict through ``python -m treeboost`` on Parquet files."""
    result = run("train", "reg.parquet", "--target", "y", "--rounds", "8", "--valid-fraction",
                 "0.2", "-o", "sp.json", cwd=work)  # fmt: skip
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "valid-rmse" in result.stdout and "model written to sp.json" in result.stdout
    assert tb.Booster.load_model(work / "sp.json").num_boosted_rounds() == 8
    result = run("predict", "sp.json", "reg.parquet", "-o", "sp.csv", cwd=work)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert len(pd.read_csv(work / "sp.csv")) == 300


def test_subprocess_evaluate_info_explain_calibrate(work):
    """The read-only commands end to end, one process each, on the CSV models."""
    commands = [
        ("evaluate", "bin.json", "bin.csv", "--target", "y"),
        ("info", "bin.json"),
        ("explain", "bin.json", "bin.csv", "-o", "sub_imp.csv"),
        ("calibrate", "bin.json", "bin.csv", "--target", "y", "--method", "sigmoid"),
    ]
    first_words = []
    for command in commands:
        result = run(*command, cwd=work)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        first_words.append(result.stdout.split()[0])
    assert first_words == ["binary", "objective:", "explained", "calibrated"]
    assert len(pd.read_csv(work / "sub_imp.csv")) == 4


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("train", "gone.csv", "--target", "y", "-o", "m.json"), "gone.csv"),
        (("train", "reg.parquet", "--target", "label", "-o", "m.json"), "'label'"),
        (("predict", "reg.json", "reg.csv", "--format", "libsvm", "-o", "p.csv"), "LibSVM"),
        (("train", "reg.csv", "--target", "y", "--param", "max_depth=-2", "-o", "m.json"),
         "max_depth"),
    ],
    ids=["missing-file", "unknown-column", "wrong-format", "bad-parameter"],
)  # fmt: skip
def test_subprocess_errors_are_one_line_without_traceback(work, args, mentions):
    result = run(*args, cwd=work)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("treeboost: error:") and mentions in result.stderr


def test_demo_and_warmup_dispatch(monkeypatch, capsys, tmp_path):
    calls = []
    demo_module = importlib.import_module("treeboost.report.demo")
    warmup_module = importlib.import_module("treeboost.cli.warmup")

    monkeypatch.setattr(demo_module, "run_demo", lambda **kw: calls.append(kw))
    monkeypatch.setattr(warmup_module, "warmup", lambda: calls.append("warmup"))
    from treeboost.__main__ import main

    assert main(["demo", "--random-state", "3", "--no-report"]) == 0
    assert main(["demo", "--report-dir", str(tmp_path / "r")]) == 0
    assert main(["warmup"]) == 0
    assert calls == [
        {"random_state": 3, "report_dir": None},
        {"random_state": 0, "report_dir": str(tmp_path / "r")},
        "warmup",
    ]
    assert "compiled" in capsys.readouterr().out
    (tmp_path / "file").write_text("x")
    fails(capsys, "demo", "--report-dir", tmp_path / "file", mentions="not a directory")
    fails(capsys, "demo", "--no-report", "--report-dir", tmp_path, mentions="--report-dir")


# -- ranking and survival ----------------------------------------------------------------------


def test_ranking_with_a_query_column(tmp_path, capsys):
    rng = np.random.default_rng(3)
    n_queries, per_query = 40, 10
    X = rng.normal(size=(n_queries * per_query, 3))
    qid = rng.permutation(np.repeat(np.arange(n_queries), per_query))  # interleaved queries
    relevance = np.clip(np.round(X[:, 0] + 1.0), 0, 3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(query=qid, rel=relevance)
    frame.to_csv(tmp_path / "rank.csv", index=False)
    out = ok(capsys, "train", tmp_path / "rank.csv", "--target", "rel", "--qid", "query",
             "--objective", "rank:ndcg", "--rounds", "10", "--valid-fraction", "0.25",
             "-o", tmp_path / "rank.json")  # fmt: skip
    assert "ndcg@32" in out
    booster = tb.Booster.load_model(tmp_path / "rank.json")
    assert booster.feature_names == ["a", "b", "c"]  # the query column is not a feature
    out = ok(capsys, "evaluate", tmp_path / "rank.json", tmp_path / "rank.csv", "--target",
             "rel", "--qid", "query")  # fmt: skip
    expected = tb.metrics.ndcg_score(relevance, booster.predict(X), qid, k=10)
    line = next(row for row in out.splitlines() if row.startswith("ndcg@10 "))
    assert float(line.split()[1]) == pytest.approx(expected, abs=1e-6)
    fails(capsys, "evaluate", tmp_path / "rank.json", tmp_path / "rank.csv", "--target", "rel",
          mentions="pass --qid COL")  # fmt: skip
    fails(capsys, "train", tmp_path / "rank.csv", "--target", "rel", "--qid", "session",
          "--objective", "rank:ndcg", "-o", tmp_path / "x.json",
          mentions="--qid column 'session' is not in")  # fmt: skip


def test_survival_model_is_evaluated_by_concordance(tmp_path, capsys):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 3))
    time = rng.exponential(np.exp(-X[:, 0]))
    signed = np.where(rng.random(300) < 0.7, time, -time)
    pd.DataFrame(X, columns=["a", "b", "c"]).assign(t=signed).to_csv(
        tmp_path / "surv.csv", index=False
    )
    ok(capsys, "train", tmp_path / "surv.csv", "--target", "t", "--objective", "survival:cox",
       "--rounds", "10", "--quiet", "-o", tmp_path / "cox.json")  # fmt: skip
    out = ok(capsys, "evaluate", tmp_path / "cox.json", tmp_path / "surv.csv", "--target", "t")
    booster = tb.Booster.load_model(tmp_path / "cox.json")
    expected = tb.metrics.concordance_index(np.abs(signed), booster.predict(X), signed > 0)
    line = next(row for row in out.splitlines() if row.startswith("c-index "))
    assert float(line.split()[1]) == pytest.approx(expected, abs=1e-6)
    assert "cox-nloglik" in out
