"""treeboost.plotting: every plot renders to a non-empty PNG and draws what it should."""

import subprocess
import sys

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import treeboost as tb  # noqa: E402
from treeboost import plotting  # noqa: E402
from treeboost.plotting.shap import SWARM_HALF_HEIGHT, swarm_offsets  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = ["age", "dose", "weight", "noise"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def rendered(ax, tmp_path, name="plot.png"):
    path = tmp_path / name
    ax.figure.savefig(path, dpi=40)
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    return path


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 4))
    X[::17, 1] = np.nan
    y = (X[:, 0] + 0.5 * np.nan_to_num(X[:, 1]) > 0).astype(float)
    dtrain = tb.Dataset(X[:180], label=y[:180], feature_names=NAMES)
    dvalid = tb.Dataset(X[180:], label=y[180:], feature_names=NAMES, reference=dtrain)
    log = {}
    booster = tb.train(
        {"objective": "binary:logistic", "max_depth": 3, "eval_metric": ["auc", "logloss"]},
        dtrain,
        num_boost_round=12,
        evals=[(dtrain, "train"), (dvalid, "valid")],
        evals_result=log,
    )
    contribs = booster.predict(X[180:], pred_contribs=True)
    return booster, log, X[180:], y[180:], contribs


# -- importance ------------------------------------------------------------------------------


def test_importance_bars_sorted_with_the_largest_on_top(model, tmp_path):
    booster = model[0]
    scores = booster.get_score("total_gain")
    ax = plotting.plot_importance(booster, importance_type="total_gain")
    rendered(ax, tmp_path)
    assert len(ax.patches) == len(scores)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[::-1] == sorted(scores, key=lambda name: -scores[name])
    widths = [bar.get_width() for bar in ax.patches]
    np.testing.assert_allclose(widths[::-1], sorted(scores.values(), reverse=True))
    assert ax.get_xlabel() == "total gain"


def test_importance_limit_dict_input_and_given_axes(model):
    _, ax = plt.subplots()
    out = plotting.plot_importance(model[0], max_num_features=2, ax=ax)
    assert out is ax and len(ax.patches) == 2
    ax = plotting.plot_importance({"a": 1.0, "b": 3.0, "c": 2.0}, show_values=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c", "b"]


def test_importance_errors(model):
    with pytest.raises(ValueError, match="importance_type='gains'.*total_gain"):
        plotting.plot_importance(model[0], importance_type="gains")
    with pytest.raises(ValueError, match="max_num_features=0"):
        plotting.plot_importance(model[0], max_num_features=0)
    with pytest.raises(TypeError, match="Booster"):
        plotting.plot_importance("model.json")
    with pytest.raises(ValueError, match="no splits"):
        plotting.plot_importance({})
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plotting.plot_importance(model[0], ax="left")


# -- learning curve --------------------------------------------------------------------------


def test_metric_one_line_per_eval_set(model, tmp_path):
    booster, log = model[0], model[1]
    ax = plotting.plot_metric(log, "logloss", best_iteration=7)
    rendered(ax, tmp_path)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"train", "valid", "best iteration (7)"}
    np.testing.assert_allclose(lines["valid"].get_ydata(), log["valid"]["logloss"])
    np.testing.assert_array_equal(lines["train"].get_xdata(), np.arange(12))
    assert ax.get_ylabel() == "logloss"
    # Default metric: the first recorded; dataset filter.
    ax = plotting.plot_metric(log, dataset_names=["valid"])
    assert [line.get_label() for line in ax.get_lines()] == ["valid"]
    assert ax.get_ylabel() == "auc"
    assert booster.num_boosted_rounds() == 12


def test_metric_errors(model):
    with pytest.raises(ValueError, match="metric='rmse'.*auc, logloss"):
        plotting.plot_metric(model[1], "rmse")
    with pytest.raises(ValueError, match="dataset_names entry 'test'"):
        plotting.plot_metric(model[1], dataset_names=["test"])
    with pytest.raises(ValueError, match="non-empty"):
        plotting.plot_metric({})


# -- tree ------------------------------------------------------------------------------------


def test_tree_layout_centres_splits_over_their_children():
    #        0
    #      1    2
    #     3 4
    left = np.array([1, 3, -1, -1, -1])
    right = np.array([2, 4, -1, -1, -1])
    x, y = plotting.tree_layout(left, right)
    np.testing.assert_array_equal(y, [0, -1, -1, -2, -2])
    np.testing.assert_array_equal(x[[3, 4, 2]], [0, 1, 2])  # leaves left to right
    assert x[1] == 0.5 and x[0] == 1.25


def test_plot_tree_draws_every_node(model, tmp_path):
    booster = model[0]
    tree = booster.trees[0]
    ax = plotting.plot_tree(booster, 0, show_stats=True)
    rendered(ax, tmp_path)
    texts = [t.get_text() for t in ax.texts]
    splits = [t for t in texts if " <= " in t or " in {" in t]
    leaves = [t for t in texts if t.startswith("leaf ")]
    assert len(splits) == tree.n_nodes - tree.n_leaves
    assert len(leaves) == tree.n_leaves
    root = f"{NAMES[tree.feature[0]]} <= {tree.threshold[0]:.4g}"
    assert splits[0].startswith(root) and "gain" in splits[0]
    leaf_values = sorted(float(t.split()[1]) for t in leaves)
    expected = sorted(float(f"{v:.4g}") for v in tree.value[tree.left < 0])
    np.testing.assert_allclose(leaf_values, expected)
    # Each split says once where missing values go.
    assert sum("missing" in t for t in texts) == len(splits)
    assert ax.get_title() == "tree 0"


def test_plot_tree_multiclass_title_and_errors():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2))
    y = np.digitize(X[:, 0], [-0.4, 0.4]).astype(float)
    booster = tb.train(
        {"objective": "multi:softprob", "num_class": 3, "max_depth": 2},
        tb.Dataset(X, label=y),
        num_boost_round=2,
    )
    ax = plotting.plot_tree(booster, 4)
    assert ax.get_title() == "tree 4 (round 1, output 1)"
    with pytest.raises(ValueError, match="tree_index=6 is out of range; valid: 0 to 5"):
        plotting.plot_tree(booster, 6)
    with pytest.raises(TypeError, match="tree_index"):
        plotting.plot_tree(booster, "0")


# -- SHAP ------------------------------------------------------------------------------------


def test_swarm_offsets_spread_ties_within_the_row():
    values = np.array([0.0, 0.0, 0.0, 0.0, 5.0, 10.0])
    offsets = swarm_offsets(values)
    assert np.abs(offsets).max() == pytest.approx(SWARM_HALF_HEIGHT)
    assert len(set(offsets[:4])) == 4  # the four tied points do not overlap
    assert offsets[4] == 0 and offsets[5] == 0  # lone points stay on the row line


def test_shap_summary_rows_ordered_by_mean_abs_contribution(model, tmp_path):
    _, _, X, _, contribs = model
    ax = plotting.plot_shap_summary(contribs, X, NAMES, max_display=3)
    rendered(ax, tmp_path)
    order = np.argsort(-np.abs(contribs[:, :4]).mean(axis=0))[:3]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [NAMES[i] for i in order[::-1]]
    n_points = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_points == 3 * X.shape[0]
    # The top row holds exactly the top feature's SHAP values (bias column dropped).
    top_row = np.concatenate(
        [c.get_offsets() for c in ax.collections if np.all(np.abs(c.get_offsets()[:, 1] - 2) < 0.5)]
    )
    np.testing.assert_allclose(np.sort(top_row[:, 0]), np.sort(contribs[:, order[0]]))
    assert len(ax.figure.axes) == 2  # the colorbar


def test_shap_summary_without_features_and_multi_output(model):
    contribs = model[4]
    ax = plotting.plot_shap_summary(contribs)
    assert [t.get_text() for t in ax.get_yticklabels()][-1].startswith("f")
    stacked = np.stack([contribs, -contribs], axis=1)  # (n, 2, m + 1)
    ax = plotting.plot_shap_summary(stacked, output=1, feature_names=NAMES)
    assert len(ax.get_yticklabels()) == 4
    with pytest.raises(ValueError, match="2 outputs.*output=0 to 1"):
        plotting.plot_shap_summary(stacked)
    with pytest.raises(ValueError, match="contribs has 5 columns; expected 4"):
        plotting.plot_shap_summary(contribs, feature_names=NAMES[:3])
    with pytest.raises(ValueError, match="max_display=0"):
        plotting.plot_shap_summary(contribs, max_display=0)


def test_shap_dependence_plots_value_against_contribution(model, tmp_path):
    _, _, X, _, contribs = model
    ax = plotting.plot_shap_dependence("dose", contribs, X, NAMES, color_feature="age")
    rendered(ax, tmp_path)
    points = ax.collections[0].get_offsets()
    present = ~np.isnan(X[:, 1])
    assert len(points) == present.sum() < X.shape[0]  # missing doses are left out
    np.testing.assert_allclose(points[:, 0], X[present, 1])
    np.testing.assert_allclose(points[:, 1], contribs[present, 1])
    assert ax.get_xlabel() == "dose"
    assert ax.figure.axes[1].get_ylabel() == "age"
    with pytest.raises(ValueError, match="feature='height' is not a feature"):
        plotting.plot_shap_dependence("height", contribs, X, NAMES)
    with pytest.raises(ValueError, match="X is required"):
        plotting.plot_shap_dependence(0, contribs, None)
    with pytest.raises(ValueError, match="X has shape"):
        plotting.plot_shap_dependence(0, contribs, X[:10])


# -- reliability -----------------------------------------------------------------------------


def test_reliability_bins_by_hand():
    y = [0, 0, 1, 1, 1, 0]
    p = [0.1, 0.2, 0.3, 0.8, 0.9, 0.95]
    bins = plotting.reliability_bins(y, p, n_bins=2)
    np.testing.assert_allclose(bins.mean_predicted, [0.2, 2.65 / 3])
    np.testing.assert_allclose(bins.observed_rate, [1 / 3, 2 / 3])
    np.testing.assert_array_equal(bins.count, [3, 3])
    assert bins.expected_calibration_error == pytest.approx(
        (3 * abs(1 / 3 - 0.2) + 3 * abs(2 / 3 - 2.65 / 3)) / 6
    )
    # An edge value falls in the lower bin; empty bins are dropped.
    edge = plotting.reliability_bins([0, 1], [0.5, 1.0], n_bins=4)
    np.testing.assert_array_equal(edge.count, [1, 1])
    np.testing.assert_allclose(edge.mean_predicted, [0.5, 1.0])


def test_reliability_quantile_bins_hold_equal_counts():
    rng = np.random.default_rng(2)
    p = rng.beta(0.5, 3.0, size=1000)
    y = (rng.random(1000) < p).astype(float)
    bins = plotting.reliability_bins(y, p, n_bins=5, strategy="quantile")
    np.testing.assert_array_equal(bins.count, [200] * 5)
    uniform = plotting.reliability_bins(y, p, n_bins=5)
    assert uniform.count[0] > 500  # skewed probabilities crowd the first equal-width bin


def test_plot_reliability(model, tmp_path):
    y, prob = model[3], model[0].predict(model[2])
    ax = plotting.plot_reliability(y, prob, n_bins=5, label="treeboost")
    rendered(ax, tmp_path)
    bins = plotting.reliability_bins(y, prob, n_bins=5)
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], bins.mean_predicted)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "perfectly calibrated",
        f"treeboost (ECE {bins.expected_calibration_error:.3f})",
    ]
    assert len(ax.texts) == 0
    plotting.plot_reliability(y, prob, strategy="quantile", ax=ax, label="again", show_counts=True)
    assert sum(line.get_gid() == "diagonal" for line in ax.get_lines()) == 1
    quantile = plotting.reliability_bins(y, prob, strategy="quantile")
    assert [t.get_text() for t in ax.texts] == [f"n={c}" for c in quantile.count]


def test_reliability_errors():
    with pytest.raises(ValueError, match="strategy='equal'"):
        plotting.reliability_bins([0, 1], [0.2, 0.8], strategy="equal")
    with pytest.raises(ValueError, match="y_prob must hold probabilities"):
        plotting.reliability_bins([0, 1], [0.2, 1.8])
    with pytest.raises(ValueError, match="y_true must hold binary labels"):
        plotting.reliability_bins([0, 2], [0.2, 0.8])
    with pytest.raises(ValueError, match="y_true has 3 values; expected 2"):
        plotting.reliability_bins([0, 1, 1], [0.2, 0.8])
    with pytest.raises(ValueError, match="n_bins=0"):
        plotting.reliability_bins([0, 1], [0.2, 0.8], n_bins=0)


# -- intervals -------------------------------------------------------------------------------


def test_plot_intervals_marks_covered_and_missed_rows(tmp_path):
    rng = np.random.default_rng(3)
    y = rng.normal(size=300)
    pred = y + rng.normal(scale=0.5, size=300)
    lower, upper = pred - 0.8, pred + 0.8
    covered = (lower <= y) & (y <= upper)
    ax = plotting.plot_intervals(y, lower, upper, y_pred=pred, max_points=None)
    rendered(ax, tmp_path)
    hit, miss = ax.collections[1], ax.collections[2]
    assert len(hit.get_offsets()) == covered.sum() and len(miss.get_offsets()) == (~covered).sum()
    assert f"coverage {covered.mean():.1%}" in ax.get_title()
    # Rows are drawn sorted by prediction.
    np.testing.assert_allclose(ax.collections[3].get_offsets()[:, 1], np.sort(pred))
    ax = plotting.plot_intervals(y, lower, upper, max_points=50)
    assert len(ax.collections[1].get_offsets()) + len(ax.collections[2].get_offsets()) == 50
    assert "300 rows" in ax.get_title()  # coverage is over every row, not the drawn subset


def test_intervals_errors():
    with pytest.raises(ValueError, match="lower > upper at row 1"):
        plotting.plot_intervals([1, 2], [0, 3], [2, 2.5])
    with pytest.raises(ValueError, match="upper has 1 values; expected 2"):
        plotting.plot_intervals([1, 2], [0, 1], [2])
    with pytest.raises(ValueError, match="must not contain NaN"):
        plotting.plot_intervals([1, np.nan], [0, 1], [2, 3])


def test_importing_plotting_does_not_load_matplotlib():
    code = (
        "import sys, treeboost as tb; tb.plotting; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib loaded at import'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_estimators_work_in_place_of_a_booster():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 3))
    y = X[:, 0] - X[:, 2]
    model = tb.TreeBoostRegressor(n_estimators=6, max_depth=2).fit(X, y, eval_set=[(X, y)])
    ax = plotting.plot_metric(model)
    assert len(ax.get_lines()[0].get_ydata()) == 6
    ax = plotting.plot_importance(model)
    assert len(ax.patches) == len(model.get_booster().get_score())
    ax = plotting.plot_tree(model, 5)
    assert ax.get_title() == "tree 5"


def test_plot_tree_names_the_categories_of_a_categorical_split():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(6)
    colour = rng.choice(["red", "green", "blue", "grey"], size=200)
    X = pd.DataFrame({"colour": pd.Categorical(colour), "size": rng.normal(size=200)})
    y = np.isin(colour, ["red", "blue"]).astype(float) + 0.1 * X["size"].to_numpy()
    booster = tb.train({"max_depth": 2}, tb.Dataset(X, label=y), num_boost_round=1)
    tree = booster.trees[0]
    assert tree.categories, "expected a categorical split at the root"
    ax = plotting.plot_tree(booster, 0)
    texts = [t.get_text() for t in ax.texts]
    root = next(t for t in texts if t.startswith("colour in {"))
    left = {s.strip() for s in root[len("colour in {") : -1].split(",")}
    codes = np.flatnonzero(tree.categories[0][1:])
    assert left == {booster.categories[0][c] for c in codes}
    assert left < {"red", "green", "blue", "grey"}


def test_shap_plots_color_by_category_codes_of_text_columns():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"city": ["oslo", "rome", None, "oslo"], "age": [30.0, 41.0, 25.0, np.nan]})
    contribs = np.array([[0.5, 0.1, 0.0], [-0.2, 0.3, 0.0], [0.1, -0.1, 0.0], [0.4, 0.2, 0.0]])
    ax = plotting.plot_shap_dependence("age", contribs, X, color_feature="city")
    colors = ax.collections[0].get_array()
    np.testing.assert_array_equal(colors.filled(-9), [0, 1, -9])  # codes; the missing city masked
    ax = plotting.plot_shap_summary(contribs, X)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["age", "city"]
