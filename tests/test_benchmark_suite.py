"""The real-table suite (benchmarks/suite): its ranking arithmetic, and a quick run end to end."""

import json

import numpy as np
import pytest
from benchmarks.suite import report, study
from benchmarks.suite.scoring import (
    Record,
    compare,
    fold_score,
    gap_to_best,
    normalised,
    ranks,
    sign_test,
    summarise,
)
from benchmarks.suite.tables import QUICK_TABLES, load


def test_compare_ties_within_tolerance_and_orients_by_metric():
    assert compare(0.91, 0.90, higher_is_better=True) == 1
    assert compare(0.91, 0.90, higher_is_better=False) == -1
    assert compare(0.900001, 0.9, higher_is_better=True) == 0  # 1e-6 relative: a tie
    assert compare(2.0, 2.1, higher_is_better=False) == 1


def test_ranks_share_tied_places_and_normalised_spans_best_to_worst():
    scores = {"a": 0.9, "b": 0.8, "c": 0.9, "d": 0.7}
    assert ranks(scores, True) == {"a": 1.5, "c": 1.5, "b": 3.0, "d": 4.0}
    assert ranks(scores, False) == {"d": 1.0, "b": 2.0, "a": 3.5, "c": 3.5}
    norm = normalised(scores, True)
    assert norm["a"] == norm["c"] == 1.0 and norm["d"] == 0.0
    assert norm["b"] == pytest.approx(0.5)
    assert normalised({"a": 1.0, "b": 1.0}, False) == {"a": 1.0, "b": 1.0}
    assert gap_to_best(0.98, 1.0, True) == pytest.approx(0.02)
    assert gap_to_best(1.05, 1.0, False) == pytest.approx(0.05)
    assert gap_to_best(0.9, 1.0, False) == 0.0


def test_sign_test_matches_the_binomial_distribution():
    assert sign_test(0, 0) == 1.0
    assert sign_test(5, 0) == pytest.approx(2 * 0.5**5)
    assert sign_test(8, 2) == pytest.approx(sign_test(2, 8))
    assert sign_test(10, 10) == pytest.approx(1.0)


def test_fold_scores():
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    assert fold_score("binary", y, proba) == 1.0
    assert fold_score("regression", np.array([1.0, 3.0]), np.array([2.0, 2.0])) == 1.0
    loss = fold_score("multiclass", np.array([0, 1]), np.array([[0.5, 0.5], [0.25, 0.75]]))
    assert loss == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2)
    with pytest.raises(ValueError, match="task='ranking'"):
        fold_score("ranking", y, proba)


def _records():
    # Three tables, two libraries and a candidate; "tb@x" is better than "tb" everywhere.
    tasks = {"t1": "binary", "t2": "regression", "t3": "multiclass"}
    score = {
        "t1": {"treeboost": 0.80, "lightgbm": 0.85, "treeboost@x": 0.90},
        "t2": {"treeboost": 2.00, "lightgbm": 1.00, "treeboost@x": 0.50},
        "t3": {"treeboost": 0.30, "lightgbm": 0.30, "treeboost@x": 0.20},
    }
    records = {t: {lib: Record([s, s], [0.1, 0.3]) for lib, s in libs.items()}
               for t, libs in score.items()}  # fmt: skip
    return records, tasks


def test_summary_head_to_head_and_time_ratio():
    records, tasks = _records()
    s = summarise(records, tasks, ["treeboost", "lightgbm"])
    assert s.tables == ["t1", "t2", "t3"]
    assert s.head_to_head("treeboost", "lightgbm")[:3] == (0, 1, 2)
    assert s.mean_rank("treeboost") == pytest.approx((2 + 2 + 1.5) / 3)
    assert s.mean_rank("lightgbm") == pytest.approx((1 + 1 + 1.5) / 3)
    assert s.fit_time["t1"]["treeboost"] == pytest.approx(0.2)  # the median of the folds
    assert s.time_ratio("t1", "treeboost", ["lightgbm"]) == pytest.approx(1.0)
    assert s.gap("t1", "treeboost", ["lightgbm"]) == pytest.approx(0.05 / 0.85)


def test_study_halves_hold_every_task_and_choose_on_their_own_tables(monkeypatch):
    tasks = {f"{task}{i}": task for task in ("binary", "regression") for i in range(4)}
    first, second = study.halves(list(tasks), tasks)
    assert sorted(first + second) == sorted(tasks)
    assert {tasks[t] for t in first} == {tasks[t] for t in second} == {"binary", "regression"}
    records, tasks = _records()
    choice = study.choose(records, tasks, ["lightgbm"], ["treeboost", "treeboost@x"],
                          ["t1", "t2"], ["t3"])  # fmt: skip
    assert choice.candidate == "treeboost@x"
    assert [r[0] for r in choice.ranking] == ["treeboost@x", "treeboost"]


def test_candidates_resolve_to_full_settings():
    for label in study.candidate_labels():
        library, params = study.resolve(label)
        assert library == "treeboost" and set(study.BASE) <= set(params)
    assert study.resolve("lightgbm") == ("lightgbm", {})
    with pytest.raises(ValueError, match="unknown library 'treeboost@nope'"):
        study.resolve("treeboost@nope")


def test_quick_tables_load_offline():
    for name in QUICK_TABLES:
        X, y = load(name)
        assert len(X) == len(y) > 100 and not X.isna().all().any()


def test_quick_run_writes_a_consistent_table(tmp_path):
    """``python -m benchmarks.suite --quick`` end to end, on the libraries the dev extras give:
    the stored results and the rendered ranks agree with each other (not with any outcome)."""
    from benchmarks.suite.libraries import available
    from benchmarks.suite.run import main

    libs = [lib for lib in ("treeboost", "lightgbm", "xgboost") if available(lib)]
    if len(libs) < 2:
        pytest.skip("needs lightgbm or xgboost (dev extras)")
    results, output = tmp_path / "results.json", tmp_path / "RESULTS.md"
    argv = ["--quick", "--results", str(results), "--output", str(output), "--libraries", *libs]
    assert main(argv) == 0
    store = json.loads(results.read_text())
    assert set(store["records"]) == set(QUICK_TABLES)
    for runs in store["records"].values():
        assert set(runs) == set(libs)
        assert all(len(r["scores"]) == 3 for r in runs.values())  # 1 repeat x 3 folds
    text = output.read_text()
    summary = summarise(report.records_of(store, list(QUICK_TABLES)),
                        {t: store["tables"][t]["task"] for t in QUICK_TABLES}, libs)  # fmt: skip
    assert sum(summary.mean_rank(lib) for lib in libs) == pytest.approx(
        sum(range(1, len(libs) + 1))
    )
    for lib in libs:
        assert f"| {lib} | {summary.mean_rank(lib):.2f} |" in text
    assert "treeboost vs" in text
    # A second run fits nothing new and renders the same table.
    assert main(argv) == 0
    assert output.read_text() == text
