"""The ``treeboost`` command line, driven as a subprocess on small generated files."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import treeboost as tb
from treeboost import cli

REPO = Path(__file__).resolve().parents[1]
AGARICUS = REPO.parent / "shared" / "data" / "xgboost-demo" / "agaricus.txt.train"
AGARICUS_TEST = AGARICUS.with_name("agaricus.txt.test")


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "treeboost", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def ok(*args, cwd):
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def fails(*args, cwd, mentions):
    result = run(*args, cwd=cwd)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("treeboost: error:"), lines[0]
    for word in [mentions] if isinstance(mentions, str) else mentions:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """Regression, binary and multiclass CSV files with trained models."""
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame.assign(y=2 * X[:, 0] + X[:, 1] + rng.normal(scale=0.1, size=300)).to_csv(
        d / "reg.csv", index=False
    )
    frame.assign(y=(X[:, 0] + X[:, 1] > 0).astype(int)).to_csv(d / "bin.csv", index=False)
    frame.assign(y=np.digitize(X[:, 0], [-0.5, 0.5])).to_csv(d / "multi.csv", index=False)
    ok("train", "reg.csv", "--target", "y", "--rounds", "20", "--quiet", "-o", "reg.json", cwd=d)
    ok(
        "train", "bin.csv", "--target", "y", "--objective", "binary:logistic", "--rounds", "10",
        "--quiet", "-o", "bin.json", cwd=d,
    )  # fmt: skip
    ok(
        "train", "multi.csv", "--target", "y", "--objective", "multi:softprob", "--rounds", "5",
        "--quiet", "-o", "multi.json", cwd=d,
    )  # fmt: skip
    return d


# -- train -----------------------------------------------------------------------------------


def test_train_prints_final_metrics_and_writes_a_loadable_model(work):
    result = ok(
        "train", "reg.csv", "--target", "y", "--rounds", "40", "--valid-fraction", "0.25",
        "--early-stopping", "5", "--param", "max_depth=3", "--param", "learning_rate=0.2",
        "-o", "es.json", cwd=work,
    )  # fmt: skip
    assert "train-rmse" in result.stdout and "valid-rmse" in result.stdout
    assert "best iteration:" in result.stdout
    # stdout is a pipe here: no per-round progress lines
    assert "[0]" not in result.stdout
    booster = tb.Booster.load_model(work / "es.json")
    assert booster.feature_names == ["a", "b", "c", "d"]
    assert booster.params["max_depth"] == 3
    assert booster.params["learning_rate"] == pytest.approx(0.2)
    assert booster.best_iteration is not None


def test_train_valid_fraction_split_is_seeded(work):
    a = ok("train", "reg.csv", "--target", "y", "--rounds", "5", "--valid-fraction", "0.2",
           "-o", "s1.json", cwd=work)  # fmt: skip
    b = ok("train", "reg.csv", "--target", "y", "--rounds", "5", "--valid-fraction", "0.2",
           "-o", "s2.json", cwd=work)  # fmt: skip
    c = ok("train", "reg.csv", "--target", "y", "--rounds", "5", "--valid-fraction", "0.2",
           "--seed", "1", "-o", "s3.json", cwd=work)  # fmt: skip
    assert (work / "s1.json").read_text() == (work / "s2.json").read_text()
    assert a.stdout.replace("s1", "s2") == b.stdout
    assert (work / "s1.json").read_text() != (work / "s3.json").read_text()
    assert "valid-rmse" in c.stdout


def test_train_quiet_prints_nothing(work):
    result = ok("train", "reg.csv", "--target", "y", "--rounds", "3", "--quiet", "-o", "q.json",
                cwd=work)  # fmt: skip
    assert result.stdout == ""


def test_train_with_valid_file_and_multiclass_num_class_inferred(work):
    ok("train", "multi.csv", "--target", "y", "--objective", "multi:softprob", "--rounds", "3",
       "--valid", "multi.csv", "-o", "mv.json", cwd=work)  # fmt: skip
    booster = tb.Booster.load_model(work / "mv.json")
    assert booster.n_outputs == 3
    assert booster.params["num_class"] == 3


def test_progress_every_ten_rounds_on_a_terminal(work, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_stdout_is_tty", lambda: True)
    code = cli.main(["train", str(work / "reg.csv"), "--target", "y", "--rounds", "25",
                     "-o", str(work / "tty.json")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    rounds = [line.split("]")[0] for line in out.splitlines() if line.startswith("[")]
    assert rounds == ["[0", "[10", "[20", "[24"]


def test_param_values_are_typed():
    assert cli.parse_value("3") == 3
    assert cli.parse_value("0.5") == 0.5
    assert cli.parse_value("True") is True
    assert cli.parse_value("false") is False
    assert cli.parse_value("lossguide") == "lossguide"
    assert cli.parse_value("auc,logloss") == ["auc", "logloss"]


@pytest.mark.skipif(not AGARICUS.exists(), reason="agaricus demo data not available")
def test_libsvm_train_predict_evaluate(tmp_path):
    ok("train", AGARICUS, "--objective", "binary:logistic", "--rounds", "5",
       "--valid", AGARICUS_TEST, "-o", "ag.json", cwd=tmp_path)  # fmt: skip
    result = ok("evaluate", "ag.json", AGARICUS_TEST, cwd=tmp_path)
    scores = dict(line.split() for line in result.stdout.splitlines()[2:])
    assert float(scores["auc"]) > 0.99 and float(scores["error"]) < 0.05
    ok("predict", "ag.json", AGARICUS_TEST, "-o", "p.csv", cwd=tmp_path)
    pred = pd.read_csv(tmp_path / "p.csv")
    assert list(pred.columns) == ["prediction"] and len(pred) == 1611
    assert pred["prediction"].between(0, 1).all()


# -- predict ---------------------------------------------------------------------------------


def test_predict_drops_the_target_and_matches_the_library(work):
    ok("predict", "reg.json", "reg.csv", "-o", "p.csv", cwd=work)
    pred = pd.read_csv(work / "p.csv")
    assert list(pred.columns) == ["prediction"]
    booster = tb.Booster.load_model(work / "reg.json")
    X = pd.read_csv(work / "reg.csv").drop(columns=["y"])
    np.testing.assert_allclose(pred["prediction"], booster.predict(X), rtol=1e-12)


def test_predict_reorders_columns_by_feature_name(work):
    frame = pd.read_csv(work / "reg.csv")
    frame[["y", "d", "c", "b", "a"]].to_csv(work / "shuffled.csv", index=False)
    ok("predict", "reg.json", "shuffled.csv", "-o", "p1.csv", cwd=work)
    ok("predict", "reg.json", "reg.csv", "-o", "p2.csv", cwd=work)
    assert (work / "p1.csv").read_text() == (work / "p2.csv").read_text()


def test_predict_multiclass_margin_leaf_contribs(work):
    ok("predict", "multi.json", "multi.csv", "-o", "prob.csv", cwd=work)
    prob = pd.read_csv(work / "prob.csv")
    assert list(prob.columns) == ["prob_0", "prob_1", "prob_2"]
    np.testing.assert_allclose(prob.sum(axis=1), 1.0, rtol=1e-9)

    ok("predict", "multi.json", "multi.csv", "--margin", "-o", "margin.csv", cwd=work)
    assert list(pd.read_csv(work / "margin.csv").columns) == ["margin_0", "margin_1", "margin_2"]

    ok("predict", "multi.json", "multi.csv", "--leaf", "-o", "leaf.csv", cwd=work)
    leaf = pd.read_csv(work / "leaf.csv")
    assert list(leaf.columns) == [f"leaf_{i}" for i in range(15)]

    ok("predict", "bin.json", "bin.csv", "--contribs", "-o", "contribs.csv", cwd=work)
    contribs = pd.read_csv(work / "contribs.csv")
    assert list(contribs.columns) == ["a", "b", "c", "d", "bias"]
    ok("predict", "bin.json", "bin.csv", "--margin", "-o", "bmargin.csv", cwd=work)
    margin = pd.read_csv(work / "bmargin.csv")
    assert list(margin.columns) == ["margin"]
    np.testing.assert_allclose(contribs.sum(axis=1), margin["margin"], atol=1e-6)


def test_predict_to_stdout(work):
    result = ok("predict", "bin.json", "bin.csv", "-o", "-", cwd=work)
    lines = result.stdout.splitlines()
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
def test_evaluate_prints_the_task_metrics(work, model, data, names):
    result = ok("evaluate", model, data, "--target", "y", cwd=work)
    rows = result.stdout.splitlines()[2:]
    assert [row.split()[0] for row in rows] == names
    booster = tb.Booster.load_model(work / model)
    frame = pd.read_csv(work / data)
    expected = tb.metrics.get_metric(names[0])(
        frame["y"].to_numpy(float), booster.predict(frame.drop(columns=["y"]))
    )
    assert float(rows[0].split()[1]) == pytest.approx(expected, abs=1e-6)


def test_info_describes_the_model(work):
    result = ok("info", "multi.json", cwd=work)
    out = result.stdout
    assert "objective: multi:softprob" in out
    assert "features: 4" in out and "a, b, c, d" in out
    assert "trees: 15" in out and "rounds: 5" in out
    assert "best iteration: none" in out
    assert "learning_rate: 0.3" in out and "num_class: 3" in out


@pytest.mark.parametrize("command", ["train", "predict", "evaluate", "info", "demo", "warmup"])
def test_help_works_on_every_command(command, tmp_path):
    result = ok(command, "--help", cwd=tmp_path)
    assert "usage: treeboost" in result.stdout


# -- errors ----------------------------------------------------------------------------------


def test_error_missing_files(work):
    fails("train", "nope.csv", "--target", "y", "-o", "m.json", cwd=work, mentions="nope.csv")
    fails("predict", "nope.json", "reg.csv", "-o", "p.csv", cwd=work, mentions="nope.json")
    fails("predict", "reg.json", "nope.csv", "-o", "p.csv", cwd=work, mentions="nope.csv")
    fails("evaluate", "reg.json", "nope.csv", "--target", "y", cwd=work, mentions="nope.csv")
    fails("info", "nope.json", cwd=work, mentions="nope.json")


def test_error_unknown_columns(work):
    fails("train", "reg.csv", "--target", "zz", "-o", "m.json", cwd=work, mentions="'zz'")
    fails("evaluate", "reg.json", "reg.csv", "--target", "zz", cwd=work, mentions="'zz'")
    pd.read_csv(work / "reg.csv").drop(columns=["b"]).to_csv(work / "nob.csv", index=False)
    fails("predict", "reg.json", "nob.csv", "-o", "p.csv", cwd=work, mentions=["'b'", "nob.csv"])
    fails("train", "reg.csv", "-o", "m.json", cwd=work, mentions="--target")


def test_error_wrong_format(work):
    (work / "reg.dat").write_text((work / "reg.csv").read_text())
    fails("train", "reg.dat", "--target", "y", "-o", "m.json", cwd=work, mentions="--format")
    fails("train", "reg.csv", "--format", "libsvm", "-o", "m.json", cwd=work,
          mentions=["reg.csv", "LibSVM"])  # fmt: skip
    (work / "text.csv").write_text("a,b,y\nx,1,2\nz,3,4\n")
    fails("train", "text.csv", "--target", "y", "-o", "m.json", cwd=work, mentions="'a'")
    (work / "empty.csv").write_text("")
    fails("train", "empty.csv", "--target", "y", "-o", "m.json", cwd=work, mentions="empty.csv")


def test_error_parquet_without_pyarrow(work):
    pytest.importorskip("pandas")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        (work / "x.parquet").write_bytes(b"")
        fails("train", "x.parquet", "--target", "y", "-o", "m.json", cwd=work,
              mentions=["pyarrow", "arrow"])  # fmt: skip
    else:
        pytest.skip("pyarrow is installed")


def test_error_bad_parameters(work):
    base = ["train", "reg.csv", "--target", "y", "-o", "m.json"]
    fails(*base, "--param", "max_depth=abc", cwd=work, mentions="max_depth")
    fails(*base, "--param", "max_dpth=3", cwd=work, mentions=["max_dpth", "max_depth"])
    fails(*base, "--param", "noequals", cwd=work, mentions="noequals")
    fails(*base, "--objective", "foo:bar", cwd=work, mentions="foo:bar")
    fails(*base, "--rounds", "x", cwd=work, mentions="--rounds")
    fails(*base, "--valid-fraction", "1.5", cwd=work, mentions="--valid-fraction")
    fails(*base, "--early-stopping", "3", cwd=work, mentions="--early-stopping")
    fails(*base, "--valid", "reg.csv", "--valid-fraction", "0.2", cwd=work, mentions="--valid")
    fails("train", "reg.csv", "--target", "y", cwd=work, mentions="--output")
    fails("frobnicate", cwd=work, mentions="frobnicate")
    fails("predict", "reg.json", "reg.csv", "--leaf", "--contribs", "-o", "p.csv", cwd=work,
          mentions="--contribs")  # fmt: skip
    fails("predict", "reg.json", "reg.csv", "-o", "nodir/p.csv", cwd=work, mentions="nodir")


def test_error_malformed_model_files(work):
    (work / "notjson.json").write_text("not json at all")
    fails("info", "notjson.json", cwd=work, mentions="notjson.json")
    (work / "other.json").write_text(json.dumps({"format": "xgboost"}))
    fails("predict", "other.json", "reg.csv", "-o", "p.csv", cwd=work, mentions="other.json")
    doc = json.loads((work / "reg.json").read_text())
    doc["trees"] = "broken"
    (work / "broken.json").write_text(json.dumps(doc))
    fails("evaluate", "broken.json", "reg.csv", "--target", "y", cwd=work, mentions="broken.json")


def test_demo_and_warmup_still_dispatch(monkeypatch, capsys):
    calls = []
    demo_module = importlib.import_module("treeboost.demo")
    warmup_module = importlib.import_module("treeboost.warmup")
    monkeypatch.setattr(demo_module, "run_demo", lambda random_state: calls.append(random_state))
    monkeypatch.setattr(warmup_module, "warmup", lambda: calls.append("warmup"))
    from treeboost.__main__ import main

    assert main(["demo", "--random-state", "3"]) == 0
    assert main(["warmup"]) == 0
    assert calls == [3, "warmup"]
    assert "compiled" in capsys.readouterr().out
