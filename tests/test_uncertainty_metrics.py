"""Public metrics of treeboost.metrics.scores (re-exported by tb.metrics): agreement with
scikit-learn, hand-computed ECE / ACE, interval and set metrics, bootstrap intervals, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve

from treeboost.metrics import scores


@pytest.fixture(scope="module")
def binary():
    rng = np.random.default_rng(0)
    p = np.round(rng.beta(2, 3, size=400), 2)  # rounded: many ties
    y = (rng.random(400) < p).astype(int)
    w = rng.uniform(0.1, 3.0, size=400)
    return y, p, w


@pytest.fixture(scope="module")
def multiclass():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(300, 4))
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(4, p=row) for row in p])
    return y, p


def test_binary_metrics_equal_scikit_learn(binary):
    y, p, w = binary
    for weight in (None, w):
        assert scores.roc_auc(y, p, weight) == pytest.approx(
            sk.roc_auc_score(y, p, sample_weight=weight), abs=1e-12
        )
        assert scores.average_precision(y, p, weight) == pytest.approx(
            sk.average_precision_score(y, p, sample_weight=weight), abs=1e-12
        )
        assert scores.brier_score(y, p, weight) == pytest.approx(
            sk.brier_score_loss(y, p, sample_weight=weight), abs=1e-12
        )
        assert scores.log_loss(y, p, weight) == pytest.approx(
            sk.log_loss(y, p, sample_weight=weight), abs=1e-12
        )
        predicted = (p > 0.3).astype(int)
        assert scores.sensitivity(y, p, 0.3, weight) == pytest.approx(
            sk.recall_score(y, predicted, sample_weight=weight)
        )
        assert scores.specificity(y, p, 0.3, weight) == pytest.approx(
            sk.recall_score(y, predicted, pos_label=0, sample_weight=weight)
        )
        assert scores.f1(y, p, 0.3, weight) == pytest.approx(
            sk.f1_score(y, predicted, sample_weight=weight)
        )
        assert scores.accuracy(y, p, 0.3, weight) == pytest.approx(
            sk.accuracy_score(y, predicted, sample_weight=weight)
        )
    two_columns = np.column_stack([1 - p, p])
    assert scores.roc_auc(y, two_columns) == pytest.approx(sk.roc_auc_score(y, p))


def test_multiclass_metrics_equal_scikit_learn(multiclass):
    y, p = multiclass
    assert scores.roc_auc(y, p) == pytest.approx(sk.roc_auc_score(y, p, multi_class="ovr"))
    onehot = np.eye(4)[y]
    assert scores.average_precision(y, p) == pytest.approx(
        sk.average_precision_score(onehot, p, average="macro")
    )
    assert scores.log_loss(y, p) == pytest.approx(sk.log_loss(y, p))
    assert scores.brier_score(y, p) == pytest.approx(sk.brier_score_loss(y, p))
    assert scores.accuracy(y, p) == pytest.approx(sk.accuracy_score(y, p.argmax(axis=1)))


def test_reliability_curve_equals_calibration_curve(binary):
    y, p, _ = binary
    for strategy in ("uniform", "quantile"):
        mean_p, fraction, counts = scores.reliability_curve(y, p, 8, strategy)
        expected_fraction, expected_mean = calibration_curve(y, p, n_bins=8, strategy=strategy)
        np.testing.assert_allclose(mean_p, expected_mean, atol=1e-12)
        np.testing.assert_allclose(fraction, expected_fraction, atol=1e-12)
        assert counts.sum() == len(y)


def test_ece_by_hand():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.1, 0.15, 0.9, 0.95, 1.0])
    # 2 bins: [0, 0.5] holds rows 0-1 (mean y 0.5, mean p 0.125), (0.5, 1] rows 2-4
    # (mean y 2/3, mean p 0.95).
    expected = 2 / 5 * abs(0.5 - 0.125) + 3 / 5 * abs(2 / 3 - 0.95)
    assert scores.ece(y, p, n_bins=2) == pytest.approx(expected)


def test_ece_multiclass_uses_top_label_confidence():
    p = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    y = np.array([0, 1, 2])
    # One bin (0.5, 1]: mean confidence 0.7, accuracy 2/3.
    assert scores.ece(y, p, n_bins=2) == pytest.approx(abs(0.7 - 2 / 3))


def test_ace_by_hand_equal_mass_bins_per_class_unweighted_mean():
    y = np.array([0, 0, 1, 1])
    p1 = np.array([0.2, 0.4, 0.6, 0.9])
    # Class 1, sorted by p1, two bins of two rows: {0.2, 0.4} acc 0 conf 0.3 -> 0.3;
    # {0.6, 0.9} acc 1 conf 0.75 -> 0.25. Class 0 mirrors class 1 with the same gaps.
    assert scores.ace(y, p1, n_bins=2) == pytest.approx((0.3 + 0.25 + 0.3 + 0.25) / 4)
    matrix = np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]])
    labels = np.array([0, 2, 2])
    # n_bins=1 per class: |mean one-hot - mean p| for each of the 3 classes, averaged.
    gaps = np.abs(np.eye(3)[labels].mean(axis=0) - matrix.mean(axis=0))
    assert scores.ace(labels, matrix, n_bins=1) == pytest.approx(gaps.mean())


def test_perfectly_calibrated_probabilities_have_small_ece_and_ace():
    rng = np.random.default_rng(5)
    p = rng.random(200_000)
    y = (rng.random(200_000) < p).astype(int)
    assert scores.ece(y, p) < 0.01 and scores.ace(y, p) < 0.01
    overconfident = np.clip((p - 0.5) * 3 + 0.5, 0, 1)
    assert scores.ace(y, overconfident) > 0.1


def test_interval_and_set_metrics():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    intervals = np.array([[0.0, 1.0], [2.5, 3.0], [2.0, 5.0], [4.0, 4.0]])
    assert scores.coverage(y, intervals) == 0.75
    assert scores.mean_width(intervals) == pytest.approx((1 + 0.5 + 3 + 0) / 4)
    sets = np.array([[True, False, False], [True, True, False], [False, False, True]])
    labels = np.array([0, 2, 2])
    assert scores.coverage(labels, sets) == pytest.approx(2 / 3)
    assert scores.mean_set_size(sets) == pytest.approx(4 / 3)
    np.testing.assert_allclose(scores.class_coverage(labels, sets), [1.0, np.nan, 0.5])


def test_bootstrap_interval_brackets_the_estimate_and_is_reproducible(binary):
    y, p, _ = binary
    result = scores.bootstrap_ci(scores.roc_auc, y, p, n_resamples=300, random_state=0)
    assert result.lower < result.estimate < result.upper
    assert result.estimate == pytest.approx(sk.roc_auc_score(y, p))
    again = scores.bootstrap_ci(scores.roc_auc, y, p, n_resamples=300, random_state=0)
    assert again == result
    narrow = scores.bootstrap_ci(
        scores.roc_auc, y, p, n_resamples=300, confidence=0.5, random_state=0
    )
    assert result.lower < narrow.lower < narrow.upper < result.upper
    thresholded = scores.bootstrap_ci(
        scores.sensitivity, y, p, threshold=0.3, n_resamples=100, stratify=True, random_state=1
    )
    assert thresholded.lower <= thresholded.estimate <= thresholded.upper


def test_bootstrap_interval_width_shrinks_like_one_over_root_n():
    rng = np.random.default_rng(2)
    widths = []
    for n in (200, 3200):
        y = rng.integers(0, 2, n)
        p = np.clip(y * 0.3 + rng.random(n) * 0.7, 0, 1)
        r = scores.bootstrap_ci(scores.accuracy, y, p, n_resamples=300, random_state=0)
        widths.append(r.upper - r.lower)
    assert 2.5 < widths[0] / widths[1] < 6.5  # sqrt(16) = 4


def test_degenerate_inputs_give_nan_not_errors():
    y = np.zeros(5, dtype=int)
    p = np.linspace(0.1, 0.5, 5)
    assert np.isnan(scores.roc_auc(y, p)) and np.isnan(scores.average_precision(y, p))
    assert np.isnan(scores.sensitivity(y, p))
    assert scores.f1(y, p) == 0.0


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: scores.roc_auc([0, 2], [0.1, 0.2]), ValueError, "y_true\\[1\\] = 2"),
        (lambda: scores.brier_score([0, 1], [0.1, 1.2]), ValueError, "probabilities in"),
        (lambda: scores.log_loss([0, 1], [0.1]), ValueError, "y_prob must have shape"),
        (lambda: scores.ece([0, 1], [0.1, 0.2], n_bins=0), ValueError, "n_bins=0"),
        (lambda: scores.ace([0, 1], [0.1, 0.2], n_bins=1.5), TypeError, "n_bins=1.5"),
        (lambda: scores.roc_auc([0, 1], [0.1, np.nan]), ValueError, "NaN"),
        (lambda: scores.accuracy([0, 5], np.eye(3)[:2]), ValueError, "class indices 0..2"),
        (
            lambda: scores.reliability_curve([0, 1], [0.1, 0.2], strategy="equal"),
            ValueError,
            "strategy='equal'",
        ),
        (lambda: scores.coverage([1.0], [[0.0, 1.0, 2.0]]), ValueError, "shape \\(1, 2\\)"),
        (lambda: scores.mean_set_size([[1, 0]]), ValueError, "boolean matrix"),
        (lambda: scores.bootstrap_ci("auc", [0, 1], [0.1, 0.2]), TypeError, "metric='auc'"),
        (
            lambda: scores.bootstrap_ci(scores.roc_auc, [0, 1], [0.1]),
            ValueError,
            "predictions\\[0\\] has 1 rows",
        ),
        (
            lambda: scores.bootstrap_ci(scores.roc_auc, [0, 1], [0.1, 0.2], confidence=95),
            ValueError,
            "confidence=95",
        ),
        (
            lambda: scores.roc_auc([0, 1], [0.1, 0.2], sample_weight=[1.0, -1.0]),
            ValueError,
            "non-negative",
        ),
    ],
)
def test_errors_name_the_problem(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_reexported_by_tb_metrics_without_clobbering_engine_metrics():
    import treeboost as tb

    assert tb.metrics.roc_auc is scores.roc_auc
    assert tb.metrics.ace is scores.ace and tb.metrics.bootstrap_ci is scores.bootstrap_ci
    assert tb.metrics.get_metric("auc").name == "auc"
