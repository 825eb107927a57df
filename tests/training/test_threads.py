"""The thread count of a small run's rounds: the faster of one thread and all, by measurement."""

import numpy as np
import pytest

import treeboost as tb
from treeboost.training import threads as T
from treeboost.training.threads import BLOCK, FIRST_INTERVAL, MAX_INTERVAL, RoundThreads


def _run(chooser, seconds_for, n_rounds):
    used = []
    for _ in range(n_rounds):
        t = chooser.current()
        used.append(t)
        chooser.record(t, seconds_for(t))
    return used


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setattr(T, "threads_run_at_once", lambda n: True)


def test_large_data_uses_every_thread_without_measuring():
    chooser = RoundThreads(4, 1_000_000)
    assert _run(chooser, lambda t: 1.0, 300) == [4] * 300


def test_one_thread_never_measures():
    assert _run(RoundThreads(1, 100), lambda t: 1.0, 10) == [1] * 10


def test_all_threads_kept_when_faster(quiet):
    chooser = RoundThreads(2, 5000)
    used = _run(chooser, lambda t: 0.002 if t == 2 else 0.004, 2 * FIRST_INTERVAL)
    assert used[: 2 * BLOCK] == [1] * BLOCK + [2] * BLOCK
    assert used[2 * BLOCK : FIRST_INTERVAL] == [2] * (FIRST_INTERVAL - 2 * BLOCK)
    # Measured again after FIRST_INTERVAL rounds.
    probe = FIRST_INTERVAL + 2 * BLOCK
    assert used[probe : probe + 2 * BLOCK] == [1] * BLOCK + [2] * BLOCK


def test_one_thread_kept_when_faster_and_measured_less_often(quiet):
    chooser = RoundThreads(2, 5000)
    used = _run(chooser, lambda t: 0.004 if t == 2 else 0.003, 4000)
    starts = [i for i in range(1, len(used)) if used[i] == 2 and used[i - 1] == 1]
    gaps = np.diff(starts)
    # Each measurement takes 2 * BLOCK rounds; the wait after it doubles up to MAX_INTERVAL.
    waits = [FIRST_INTERVAL * 2, FIRST_INTERVAL * 4, FIRST_INTERVAL * 8, MAX_INTERVAL]
    assert list(gaps[:4]) == [w + 2 * BLOCK for w in waits]
    assert used.count(2) < 0.02 * len(used)


def test_a_very_slow_round_on_all_threads_ends_the_measurement(quiet):
    chooser = RoundThreads(2, 5000)
    used = _run(chooser, lambda t: 0.5 if t == 2 else 0.001, 50)
    assert used.count(2) == 1  # the first slow round gives up at once


def test_busy_cores_skip_the_rounds_on_all_threads(monkeypatch):
    monkeypatch.setattr(T, "threads_run_at_once", lambda n: False)
    used = _run(RoundThreads(2, 5000), lambda t: 0.001, 100)
    assert used == [1] * 100


def test_the_check_of_the_pool_times_its_regions(monkeypatch):
    """Real parallel regions run; the answer follows their measured time."""
    clock = iter(range(1_000_000))
    monkeypatch.setattr(T.time, "perf_counter", lambda: 0.0)
    assert T.threads_run_at_once(2) is True  # no time passes: quiet
    monkeypatch.setattr(T.time, "perf_counter", lambda: float(next(clock)))
    assert T.threads_run_at_once(2) is False  # a second per region: busy


def test_models_do_not_depend_on_the_chosen_threads(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 6))
    y = X[:, 0] + rng.normal(size=3000)
    params = {"max_depth": 4, "n_jobs": 2}
    texts = []
    for choice in (1, 2):
        monkeypatch.setattr(RoundThreads, "current", lambda self, c=choice: c)
        texts.append(tb.train(params, tb.Dataset(X, label=y), 20).save_raw())
    assert texts[0] == texts[1]
