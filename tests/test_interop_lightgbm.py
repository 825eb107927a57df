"""LightGBM models read as treeboost Boosters: margins, leaves and SHAP values against LightGBM's
own, the text parser on its own, and the parser under seeded corruption of the text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from treeboost import Booster
from treeboost.interop.lightgbm import contents_from_lightgbm, lightgbm_leaf_map, node_of_leaf

lgb = pytest.importorskip("lightgbm")

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "lightgbm-examples"
MARGIN_TOL = 1e-6
SHAP_TOL = 1e-5


def _examples(folder: str, name: str, rows: int) -> tuple[np.ndarray, np.ndarray]:
    path = EXAMPLES / folder / name
    if not path.exists():
        pytest.skip(f"shared example data {path} is absent")
    table = pd.read_csv(path, sep="\t", header=None, nrows=rows).to_numpy(dtype=np.float64)
    return table[:, 1:], table[:, 0]


def _leaf_counts(model) -> np.ndarray:
    return np.array([tree["num_leaves"] for tree in model.dump_model()["tree_info"]])


def _check_exact(model, booster: Booster, X, contrib_scale: float = 1.0) -> dict[str, float]:
    """Margins, leaves and SHAP values of ``booster`` against LightGBM's; returns the gaps."""
    raw = np.asarray(model.predict(X, raw_score=True))
    margin = booster.predict(X, output_margin=True)
    margin_gap = float(np.max(np.abs(raw.reshape(margin.shape) - margin)))
    assert margin_gap <= MARGIN_TOL
    leaves = np.asarray(model.predict(X, pred_leaf=True)).reshape(len(X), -1)
    n_leaves = _leaf_counts(model)
    # LightGBM leaf j of a tree with L leaves is treeboost node L - 1 + j.
    expected = np.array([[node_of_leaf(n, j) for n, j in zip(n_leaves, row, strict=True)]
                         for row in leaves])
    assert np.array_equal(booster.predict(X, pred_leaf=True), expected)
    contrib = np.asarray(model.predict(X, pred_contrib=True)) * contrib_scale
    ours = booster.predict(X, pred_contribs=True)
    shap_gap = float(np.max(np.abs(contrib.reshape(ours.shape) - ours)))
    assert shap_gap <= SHAP_TOL
    return {"margin": margin_gap, "shap": shap_gap}


PARAMS = {"num_leaves": 15, "min_data_in_leaf": 5, "verbose": -1, "num_threads": 1}


def test_binary_examples_margins_leaves_shap(tmp_path):
    X, y = _examples("binary_classification", "binary.train", 2000)
    model = lgb.train({**PARAMS, "objective": "binary"}, lgb.Dataset(X, y), 20)
    booster = Booster.from_lightgbm(model)
    assert booster.objective.name == "binary:logistic"
    _check_exact(model, booster, X[:500])
    np.testing.assert_allclose(booster.predict(X[:500]), model.predict(X[:500]), atol=1e-12)
    # The same model from a file and from its text, without lightgbm doing the reading.
    path = tmp_path / "model.txt"
    model.save_model(str(path))
    for source in (path, str(path), path.read_text()):
        again = Booster.from_lightgbm(source)
        np.testing.assert_array_equal(
            again.predict(X[:200], output_margin=True), booster.predict(X[:200], output_margin=True)
        )


def test_regression_examples_via_sklearn_estimator():
    X, y = _examples("regression", "regression.train", 2000)
    estimator = lgb.LGBMRegressor(n_estimators=20, **PARAMS).fit(X, y)
    booster = Booster.from_lightgbm(estimator)
    assert booster.objective.name == "reg:squarederror"
    _check_exact(estimator.booster_, booster, X[:500])


def test_multiclass_examples_tree_i_adds_to_class_i_mod_k():
    X, y = _examples("multiclass_classification", "multiclass.train", 2000)
    model = lgb.train({**PARAMS, "objective": "multiclass", "num_class": 5},
                      lgb.Dataset(X, y), 10)
    booster = Booster.from_lightgbm(model)
    assert booster.objective.name == "multi:softprob" and booster.n_outputs == 5
    _check_exact(model, booster, X[:300])
    np.testing.assert_allclose(booster.predict(X[:300]), model.predict(X[:300]), atol=1e-12)


def test_lambdarank_examples_margins():
    path = EXAMPLES / "lambdarank" / "rank.train"
    if not path.exists():
        pytest.skip(f"shared example data {path} is absent")
    from sklearn.datasets import load_svmlight_file

    # The ranking example is in LibSVM format, with the query sizes beside it.
    X, y = load_svmlight_file(str(path))
    groups = np.loadtxt(str(path) + ".query", dtype=np.int64)[:20]
    X, y = X[: groups.sum()].toarray(), y[: groups.sum()]
    model = lgb.train({**PARAMS, "objective": "lambdarank"},
                      lgb.Dataset(X, y, group=groups), 10)
    booster = Booster.from_lightgbm(model)
    assert booster.objective.name == "rank:ndcg"
    _check_exact(model, booster, X[:300])


def _mixed_table(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(n, 3))
    numbers[rng.random(n) < 0.2, 0] = np.nan
    colour = pd.Categorical(rng.choice(["red", "green", "blue", "grey", "pink", "teal"], n))
    frame = pd.DataFrame({"a": numbers[:, 0], "b": numbers[:, 1], "c": numbers[:, 2],
                          "colour": colour})
    effect = pd.Series(colour).map({"red": 1.0, "green": -1.0, "blue": 0.5, "grey": 0.0,
                                    "pink": 2.0, "teal": -0.5}).to_numpy(dtype=float)
    y = np.nan_to_num(numbers[:, 0]) + numbers[:, 1] + effect + 0.1 * rng.normal(size=n)
    return frame, y


def test_categorical_table_with_missing_and_unseen_categories():
    frame, y = _mixed_table(2000, 0)
    model = lgb.train({**PARAMS, "max_cat_to_onehot": 2}, lgb.Dataset(frame, y), 20)
    booster = Booster.from_lightgbm(model)
    assert booster.feature_types == ["float", "float", "float", "c"]
    assert booster.categories[3] == ["blue", "green", "grey", "pink", "red", "teal"]
    test = frame.iloc[:400].copy()
    labels = np.array(test["colour"].astype(object))
    labels[:30] = None
    labels[30:60] = "violet"  # a category LightGBM never saw
    test["colour"] = pd.Categorical(labels, categories=list(frame["colour"].cat.categories)
                                    + ["violet"])
    test.loc[test.index[60:90], "b"] = np.nan
    _check_exact(model, booster, test)


def test_integer_coded_categories_without_pandas():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(2000, 3))
    X[:, 2] = rng.integers(0, 9, 2000)
    y = X[:, 0] + (X[:, 2] % 3 == 1) + 0.1 * rng.normal(size=2000)
    model = lgb.train({**PARAMS, "max_cat_to_onehot": 2},
                      lgb.Dataset(X, y, categorical_feature=[2]), 20)
    booster = Booster.from_lightgbm(model)
    assert booster.categories[2] == list(range(9))
    test = X[:300].copy()
    test[:20, 2] = np.nan
    test[20:40, 2] = -1.0  # negative codes go right in both
    test[40:60, 2] = 12.0  # unseen codes go right in both
    _check_exact(model, booster, test)


@pytest.mark.parametrize("use_missing", [True, False])
def test_missing_values_in_numeric_splits(use_missing):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, 3))
    X[rng.random(2000) < 0.25, 0] = np.nan
    X[rng.random(2000) < 0.25, 1] = 0.0
    y = np.where(np.isnan(X[:, 0]), 2.0, X[:, 0]) + X[:, 1] + 0.1 * rng.normal(size=2000)
    model = lgb.train({**PARAMS, "use_missing": use_missing}, lgb.Dataset(X, y), 20)
    booster = Booster.from_lightgbm(model)
    test = X[:400].copy()
    test[:40, 1] = np.nan  # missing where training saw none: compared as 0 by LightGBM
    _check_exact(model, booster, test)


@pytest.mark.parametrize("seed", [3, 4])
def test_zero_as_missing_splits_become_exact_chains(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2000, 3))
    X[rng.random(2000) < 0.3, 0] = 0.0
    X[rng.random(2000) < 0.1, 1] = np.nan
    y = X[:, 0] + np.nan_to_num(X[:, 1]) + 3.0 * (X[:, 0] == 0) * (seed == 3)
    model = lgb.train({**PARAMS, "zero_as_missing": True}, lgb.Dataset(X, y), 10)
    booster = Booster.from_lightgbm(model)
    test = X[:400].copy()
    test[:20, 0] = np.nan
    test[20:40, 0] = 1e-36  # inside LightGBM's zero band
    test[40:60, 0] = -1e-35
    raw = model.predict(test, raw_score=True)
    np.testing.assert_allclose(booster.predict(test, output_margin=True), raw, atol=MARGIN_TOL)
    leaf_map = lightgbm_leaf_map(model)
    # Chains copy subtrees: some LightGBM leaves stand for several treeboost nodes.
    copies = sum(np.count_nonzero(m >= 0) - len(np.unique(m[m >= 0])) for m in leaf_map)
    assert copies > 0
    ours = booster.predict(test, pred_leaf=True)
    mapped = np.column_stack([leaf_map[t][ours[:, t]] for t in range(ours.shape[1])])
    np.testing.assert_array_equal(mapped, model.predict(test, pred_leaf=True))
    np.testing.assert_allclose(booster.predict(test, pred_contribs=True),
                               model.predict(test, pred_contrib=True), atol=SHAP_TOL)
    again = Booster.load_model(booster.save_raw())
    np.testing.assert_array_equal(again.predict(test, output_margin=True),
                                  booster.predict(test, output_margin=True))


def test_random_forest_mode_averages_the_trees():
    X, y = _examples("regression", "regression.train", 2000)
    params = {**PARAMS, "boosting": "rf", "bagging_fraction": 0.5, "bagging_freq": 1}
    model = lgb.train(params, lgb.Dataset(X, y), 10)
    booster = Booster.from_lightgbm(model)
    np.testing.assert_allclose(booster.predict(X[:300]), model.predict(X[:300]), atol=MARGIN_TOL)
    # LightGBM's leaf indices agree; its raw scores and SHAP values are sums, not averages.
    leaves = model.predict(X[:300], pred_leaf=True) + _leaf_counts(model) - 1
    np.testing.assert_array_equal(booster.predict(X[:300], pred_leaf=True), leaves)
    contrib = model.predict(X[:300], pred_contrib=True) / model.num_trees()
    np.testing.assert_allclose(booster.predict(X[:300], pred_contribs=True), contrib,
                               atol=SHAP_TOL)


@pytest.mark.parametrize(
    ("objective", "expected"),
    [("poisson", "count:poisson"), ("gamma", "reg:gamma"), ("tweedie", "reg:tweedie"),
     ("regression_l1", "reg:absoluteerror"), ("huber", "reg:pseudohubererror"),
     ("quantile", "reg:quantileerror"), ("cross_entropy", "binary:logistic")],
)
def test_objectives_predict_like_lightgbm(objective, expected):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(1000, 3))
    y = np.exp(0.5 * X[:, 0]) if objective != "cross_entropy" else (X[:, 0] > 0) * 1.0
    model = lgb.train({**PARAMS, "objective": objective}, lgb.Dataset(X, y), 10)
    booster = Booster.from_lightgbm(model)
    assert booster.objective.name == expected
    np.testing.assert_allclose(booster.predict(X[:200]), model.predict(X[:200]), rtol=1e-9,
                               atol=1e-9)
    _check_exact(model, booster, X[:200])


def test_binary_sigmoid_factor_is_folded_into_the_leaves():
    X, y = _examples("binary_classification", "binary.train", 1000)
    model = lgb.train({**PARAMS, "objective": "binary", "sigmoid": 2.5}, lgb.Dataset(X, y), 10)
    booster = Booster.from_lightgbm(model)
    np.testing.assert_allclose(booster.predict(X[:200]), model.predict(X[:200]), atol=1e-12)
    np.testing.assert_allclose(booster.predict(X[:200], output_margin=True),
                               2.5 * model.predict(X[:200], raw_score=True), atol=MARGIN_TOL)


def test_imported_model_saves_and_loads_unchanged():
    frame, y = _mixed_table(1000, 5)
    model = lgb.train({**PARAMS, "max_cat_to_onehot": 2}, lgb.Dataset(frame, y), 10)
    booster = Booster.from_lightgbm(model)
    again = Booster.load_model(booster.save_raw())
    np.testing.assert_array_equal(again.predict(frame, output_margin=True),
                                  booster.predict(frame, output_margin=True))


def test_unsupported_models_and_inputs_give_one_line_errors():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(500, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=500)
    linear = lgb.train({**PARAMS, "linear_tree": True}, lgb.Dataset(X, y), 3)
    with pytest.raises(ValueError, match="linear trees"):
        Booster.from_lightgbm(linear)
    ova = lgb.train({**PARAMS, "objective": "multiclassova", "num_class": 3},
                    lgb.Dataset(X, np.digitize(y, [-0.5, 0.5])), 3)
    with pytest.raises(ValueError, match="multiclassova"):
        Booster.from_lightgbm(ova)
    with pytest.raises(ValueError, match="cannot read LightGBM model file"):
        Booster.from_lightgbm("/nonexistent/model.txt")
    with pytest.raises(TypeError, match="lightgbm.Booster"):
        Booster.from_lightgbm(3.5)
    with pytest.raises(ValueError, match="LGBMRegressor is not fitted"):
        Booster.from_lightgbm(lgb.LGBMRegressor())


# -- the parser under corruption ------------------------------------------------------------
def _small_model_text() -> str:
    frame, y = _mixed_table(600, 7)
    model = lgb.train({**PARAMS, "num_leaves": 6, "max_cat_to_onehot": 2},
                      lgb.Dataset(frame, y), 4)
    return model.model_to_string()


def _mutate(text: str, rng: np.random.Generator) -> str:
    lines = text.split("\n")
    kind = rng.integers(6)
    if kind == 0:  # truncated anywhere
        return text[: rng.integers(len(text))]
    if kind == 1:  # a line lost
        del lines[rng.integers(len(lines))]
    elif kind == 2:  # a line repeated
        i = rng.integers(len(lines))
        lines.insert(i, lines[i])
    else:  # one token of a tree line replaced
        tree_lines = [i for i, line in enumerate(lines) if "=" in line and " " in line]
        i = tree_lines[rng.integers(len(tree_lines))]
        key, values = lines[i].split("=", 1)
        tokens = values.split(" ")
        j = rng.integers(len(tokens))
        choices = ["-1", "0", "7", "99999", "-99999", "nan", "inf", "x", "", "1e400",
                   str(int(tokens[j]) + 1) if tokens[j].lstrip("-").isdigit() else "2.5"]
        tokens[j] = choices[rng.integers(len(choices))]
        lines[i] = key + "=" + " ".join(tokens)
    return "\n".join(lines)


def test_corrupted_text_gives_one_line_value_errors():
    text = _small_model_text()
    frame, _ = _mixed_table(50, 8)
    rng = np.random.default_rng(9)
    accepted = 0
    for _ in range(400):
        mutant = _mutate(text, rng)
        try:
            contents_from_lightgbm(mutant)
        except ValueError as exc:
            message = str(exc)
            assert message and "\n" not in message
            continue
        # Whatever is accepted is a well-formed model: it builds and predicts.
        booster = Booster.from_lightgbm(mutant)
        if booster.feature_names == list(frame.columns):
            booster.predict(frame, output_margin=True)
        accepted += 1
    assert accepted < 400


def test_cli_calibrates_and_explains_a_lightgbm_text_model(tmp_path, capsys):
    from treeboost import cli

    X, y = _examples("binary_classification", "binary.train", rows=400)
    frame = pd.DataFrame(X[:, :4], columns=["a", "b", "c", "d"])
    model = lgb.train(
        {"objective": "binary", "num_leaves": 7, "verbose": -1}, lgb.Dataset(frame, y), 5
    )
    model.save_model(str(tmp_path / "model.txt"))
    frame.insert(0, "label", y)
    frame.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "imp.csv"
    code = cli.main(
        ["explain", str(tmp_path / "model.txt"), str(tmp_path / "data.csv"), "-o", str(out)]
    )
    assert code == 0, capsys.readouterr().err
    assert out.read_text().startswith("feature,mean_abs_shap")
    code = cli.main(
        ["calibrate", str(tmp_path / "model.txt"), str(tmp_path / "data.csv"), "--target", "label"]
    )
    assert code == 0, capsys.readouterr().err
    (tmp_path / "broken.txt").write_text("tree\nversion=v4\nnum_class=oops\n")
    code = cli.main(["info", str(tmp_path / "broken.txt")])
    assert code == 2 and "not a valid LightGBM model" in capsys.readouterr().err
