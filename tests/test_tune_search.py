"""tb.tune.search: budgets, errors recorded per trial, history table, save and resume."""

import json
import math
import time

import pytest

from treeboost.tune import (
    EvaluationCache,
    Float,
    Integer,
    Ordinal,
    SearchResult,
    Space,
    load_history,
    search,
)


def space():
    return Space({"x": Float(-2.0, 2.0), "n": Integer(1, 9), "k": Ordinal([1, 2, 4, 8])})


def score(config):
    return -((config["x"] - 0.5) ** 2) - abs(config["n"] - 3) - abs(config["k"] - 4)


@pytest.mark.parametrize("strategy", ["random", "genetic", "tabu", "surrogate", "grid"])
def test_result_holds_best_and_history(strategy):
    result = search(score, space(), strategy=strategy, n_trials=25, random_state=0)
    assert result.n_trials == 25 and result.strategy == strategy
    best = max(result.trials, key=lambda t: t.score)
    assert result.best_score == best.score and result.best_config == best.config
    table = result.history
    assert list(table.columns[:4]) == ["number", "x", "n", "k"]
    assert {"score", "seconds", "error", "strategy", "state"} <= set(table.columns)
    assert table["score"].max() == result.best_score
    assert all(isinstance(s, dict) for s in table["state"])
    assert list(result.best_so_far()) == sorted(result.best_so_far())


def test_minimize():
    result = search(
        lambda c: -score(c), space(), "tabu", n_trials=30, direction="minimize", random_state=0
    )
    assert result.best_score == min(t.score for t in result.trials)


def test_errors_are_recorded_not_fatal():
    def flaky(config):
        if config["n"] == 5:
            raise RuntimeError("out of memory at n=5")
        if config["n"] == 6:
            return float("nan")
        if config["n"] == 7:
            return "bad"
        return score(config)

    result = search(flaky, space(), "random", n_trials=60, random_state=1)
    failed = [t for t in result.trials if t.failed]
    assert {t.config["n"] for t in failed} == {5, 6, 7}
    messages = {t.config["n"]: t.error for t in failed}
    assert messages[5] == "RuntimeError: out of memory at n=5"
    assert "finite" in messages[6] and "real number" in messages[7]
    assert all(math.isnan(t.score) for t in failed)
    assert result.best_config["n"] not in (5, 6, 7)


def test_interrupts_are_not_swallowed():
    def interrupted(config):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        search(interrupted, space(), n_trials=3)


def test_all_trials_failing_gives_no_best():
    result = search(lambda c: 1 / 0, space(), n_trials=4, random_state=0)
    assert result.best_config is None and math.isnan(result.best_score)
    assert all(t.error.startswith("ZeroDivisionError") for t in result.trials)


def test_time_budget_stops_the_search():
    def slow(config):
        time.sleep(0.02)
        return score(config)

    result = search(slow, space(), "random", time_budget=0.15, random_state=0)
    assert 1 <= result.n_trials < 20 and result.stopped_because == "time_budget"
    capped = search(slow, space(), "random", n_trials=3, time_budget=60, random_state=0)
    assert capped.n_trials == 3 and capped.stopped_because == "n_trials"


def test_finite_space_ends_the_search():
    small = Space({"k": Ordinal([1, 2, 4])})
    result = search(lambda c: c["k"], small, "tabu", n_trials=50, random_state=0)
    assert result.n_trials == 3 and result.stopped_because == "space exhausted"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "needs a budget"),
        ({"n_trials": 0}, "n_trials=0"),
        ({"n_trials": 2.5}, "n_trials=2.5"),
        ({"time_budget": -1}, "time_budget=-1"),
        ({"n_trials": 3, "direction": "largest"}, "direction='largest'"),
        ({"n_trials": 3, "strategy": "bayes"}, "strategy='bayes'"),
        ({"n_trials": 3, "resume": 3}, "resume=3"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        search(score, space(), **kwargs)


@pytest.mark.parametrize("strategy", ["random", "genetic", "tabu", "surrogate", "grid"])
def test_resume_continues_exactly(tmp_path, strategy):
    path = tmp_path / "history.json"
    whole = search(score, space(), strategy, n_trials=24, random_state=4)
    search(score, space(), strategy, n_trials=10, random_state=4, save_path=path)
    resumed = search(score, space(), strategy, n_trials=24, random_state=4, resume=path)
    assert [t.config for t in resumed.trials] == [t.config for t in whole.trials]
    assert [t.score for t in resumed.trials] == [t.score for t in whole.trials]


def test_resume_from_another_strategy_reuses_the_history(tmp_path):
    path = tmp_path / "history.json"
    first = search(score, space(), "random", n_trials=12, random_state=0, save_path=path)
    resumed = search(score, space(), "tabu", n_trials=30, random_state=0, resume=path)
    assert resumed.trials[:12] == first.trials
    keys = [space().key(t.config) for t in resumed.trials]
    assert len(set(keys)) == len(keys) == 30


def test_shared_cache_across_searches():
    cache = EvaluationCache()
    calls = []

    def counted(config):
        calls.append(config)
        return score(config)

    search(counted, space(), "random", n_trials=10, random_state=0, cache=cache)
    search(counted, space(), "genetic", n_trials=10, random_state=0, cache=cache)
    keys = [space().key(c) for c in calls]
    assert len(keys) == 20 == len(set(keys)) == len(cache)


def test_history_file_round_trip(tmp_path):
    path = tmp_path / "h.json"

    def sometimes(config):
        if config["n"] == 2:
            raise ValueError("no")
        return score(config)

    result = search(sometimes, space(), "random", n_trials=15, random_state=2, save_path=path)
    document = json.loads(path.read_text())
    assert document["format"] == "treeboost-tune-history" and document["version"] == 1
    assert len(document["trials"]) == 15
    loaded = SearchResult.load(path)
    assert loaded.space == result.space and loaded.direction == "maximize"
    assert [t.config for t in loaded.trials] == [t.config for t in result.trials]
    assert loaded.best_score == result.best_score
    assert [t.error for t in loaded.trials] == [t.error for t in result.trials]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ('{"format": "other"}', "not a treeboost tune history"),
        ('{"format": "treeboost-tune-history", "version": 99}', "version 99"),
        ('{"format": "treeboost-tune-history", "version": 1, "trials": [{"x": 1}]}', "misses"),
    ],
)
def test_malformed_history_files(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_history(path)


def test_resume_rejects_configurations_outside_the_space(tmp_path):
    path = tmp_path / "h.json"
    search(score, space(), "random", n_trials=5, random_state=0, save_path=path)
    narrower = Space({"x": Float(-2.0, 2.0), "n": Integer(1, 2), "k": Ordinal([1, 2, 4, 8])})
    with pytest.raises(ValueError, match="outside the space"):
        search(score, narrower, "random", n_trials=8, random_state=0, resume=path)


def test_progress_display(capsys):
    result = search(score, space(), "random", n_trials=3, random_state=0, progress=True)
    assert result.n_trials == 3
    quiet = search(score, space(), "random", n_trials=3, random_state=0)
    assert quiet.n_trials == 3
    captured = capsys.readouterr()
    assert "trial" in captured.err or "random" in captured.out + captured.err
