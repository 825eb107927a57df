"""Every strategy behind ask/tell: finds optima of small functions, stays in the space, is
deterministic under a seed, measures nothing twice, and stops when a finite space is used up."""

import math

import numpy as np
import pytest

from treeboost.tune import (
    STRATEGIES,
    Categorical,
    EvaluationCache,
    Float,
    Integer,
    Ordinal,
    Space,
    SurrogateSearch,
    TabuSearch,
    make_strategy,
)

NAMES = list(STRATEGIES)


def finite_space():
    return Space(
        {
            "a": Ordinal([0, 1, 2, 3, 4, 5, 6]),
            "b": Integer(0, 6),
            "c": Categorical(["x", "y", "z"]),
        }
    )


def finite_score(config):
    """Unique maximum 0 at a=4, b=2, c='y'."""
    return -abs(config["a"] - 4) - abs(config["b"] - 2) - 2.0 * (config["c"] != "y")


def mixed_space():
    return Space(
        {
            "x": Float(-3.0, 3.0),
            "scale": Float(0.01, 100.0, log=True),
            "kind": Categorical(["plain", "boosted"]),
            "boost": Ordinal([1, 2, 3, 4], condition={"kind": ["boosted"]}),
        }
    )


def mixed_score(config):
    value = -((config["x"] - 1.0) ** 2) - (math.log10(config["scale"]) - 1.0) ** 2
    return value + (0.5 * config["boost"] if config["kind"] == "boosted" else 0.0)


def drive(strategy, fn, n, stop_at=None):
    """Sequential ask/tell; returns the (config, score) pairs measured (up to ``n``, or until
    the score ``stop_at`` is measured)."""
    out = []
    for _ in range(n):
        config = strategy.ask()
        if config is None:
            break
        score = fn(config)
        strategy.tell(config, score)
        out.append((config, score))
        if stop_at is not None and score == stop_at:
            break
    return out


@pytest.mark.parametrize("name", NAMES)
def test_finds_the_optimum_of_a_small_finite_function(name):
    options = {"n_points": 7} if name == "grid" else {}
    strategy = make_strategy(name, finite_space(), random_state=0, **options)
    measured = drive(strategy, finite_score, 147, stop_at=0.0)  # the whole space, at most
    assert max(s for _, s in measured) == 0.0


@pytest.mark.parametrize("name", ["random", "genetic", "tabu", "surrogate"])
def test_mixed_space_search_gets_close_and_respects_the_space(name):
    space = mixed_space()
    strategy = make_strategy(name, space, random_state=3)
    measured = drive(strategy, mixed_score, 80)
    for config, _ in measured:
        assert space.validate(config) == config
        assert ("boost" in config) == (config["kind"] == "boosted")
    # optimum 2.0 at x=1, scale=10, kind=boosted, boost=4; random lands near 1.4 in 80 trials
    assert max(s for _, s in measured) > 1.2


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_trials_and_no_repeats(name):
    runs = []
    for _ in range(2):
        strategy = make_strategy(name, finite_space(), random_state=7)
        runs.append([c for c, _ in drive(strategy, finite_score, 40)])
    assert runs[0] == runs[1]
    keys = [finite_space().key(c) for c in runs[0]]
    assert len(set(keys)) == len(keys)
    if name != "grid":
        other = make_strategy(name, finite_space(), random_state=8)
        assert [c for c, _ in drive(other, finite_score, 40)] != runs[0]


@pytest.mark.parametrize("name", NAMES)
def test_stops_when_a_finite_space_is_used_up(name):
    """A flat function gives tabu no better neighbour, ever: it must still measure every
    point once and then stop, not circle among measured points. (Regression: genetic search
    once looped for ever filling a population of 20 from a space of 12 points.)"""
    space = Space({"a": Ordinal([1, 2, 3, 4]), "b": Categorical(["u", "v", "w"])})
    options = {"n_points": 4} if name == "grid" else {}
    strategy = make_strategy(name, space, random_state=0, **options)
    measured = drive(strategy, lambda c: 1.0, 100)
    assert len(measured) == 12
    assert len({space.key(c) for c, _ in measured}) == 12
    assert strategy.ask() is None


def test_tabu_restarts_when_every_neighbour_is_measured():
    space = Space({"a": Ordinal(list(range(10))), "b": Ordinal(list(range(10)))})
    strategy = TabuSearch(space, random_state=0, max_free_moves=2)
    drive(strategy, lambda c: 0.0, 60)
    assert strategy.n_restarts > 0
    assert len(strategy.cache) == 60


def test_tabu_tenure_forbids_moving_straight_back():
    space = Space({"a": Ordinal(list(range(20)))})
    strategy = TabuSearch(space, random_state=0, tenure=5, restart_after=50)
    # a valley: the walk must go on downhill past the start, never straight back
    measured = drive(strategy, lambda c: -abs(c["a"] - 10), 8)
    visited = [c["a"] for c, _ in measured]
    assert len(set(visited)) == len(visited)


@pytest.mark.parametrize("name", ["random", "genetic", "tabu", "surrogate"])
def test_minimize_direction(name):
    strategy = make_strategy(name, finite_space(), direction="minimize", random_state=1)
    measured = drive(strategy, lambda c: -finite_score(c), 147, stop_at=0.0)
    assert min(s for _, s in measured) == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_parallel_asks_before_tells(name):
    options = {"n_points": 7} if name == "grid" else {}
    strategy = make_strategy(name, finite_space(), random_state=2, **options)
    seen = set()
    for _ in range(6):
        batch = [strategy.ask() for _ in range(5)]
        keys = {strategy.space.key(c) for c in batch}
        assert len(keys) == 5 and not keys & seen
        seen |= keys
        for config in reversed(batch):  # scores may come back in any order
            strategy.tell(config, finite_score(config))


@pytest.mark.parametrize("name", NAMES)
def test_failures_are_the_worst_and_never_retried(name):
    strategy = make_strategy(name, finite_space(), random_state=0)
    measured = drive(strategy, lambda c: None if c["c"] == "x" else finite_score(c), 60)
    assert len({strategy.space.key(c) for c, _ in measured}) == len(measured)
    assert all(
        strategy.utility(s if s is not None else math.nan) == -math.inf
        for c, s in measured
        if c["c"] == "x"
    )


@pytest.mark.parametrize("name", NAMES)
def test_shared_cache_is_never_measured_again(name):
    cache = EvaluationCache()
    first = make_strategy("random", finite_space(), random_state=0, cache=cache)
    earlier = drive(first, finite_score, 30)
    options = {"n_points": 7} if name == "grid" else {}
    second = make_strategy(name, finite_space(), random_state=0, cache=cache, **options)
    later = drive(second, finite_score, 30)
    space = finite_space()
    assert not {space.key(c) for c, _ in earlier} & {space.key(c) for c, _ in later}


def test_tell_accepts_configurations_never_asked():
    strategy = make_strategy("genetic", finite_space(), random_state=0)
    strategy.tell({"a": 4, "b": 2, "c": "y"}, 0.0)
    assert len(strategy.cache) == 1
    assert strategy.space.key(strategy.ask()) != strategy.space.key({"a": 4, "b": 2, "c": "y"})
    with pytest.raises(ValueError, match="outside the space"):
        strategy.tell({"a": 9, "b": 2, "c": "y"}, 0.0)


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("grid", {"n_points": 1}, "n_points=1"),
        ("grid", {"order": "zigzag"}, "order='zigzag'"),
        ("genetic", {"population_size": 4, "n_elite": 4}, "n_elite=4"),
        ("genetic", {"mutation_rate": 2.0}, "mutation_rate=2.0"),
        ("tabu", {"tenure": -1}, "tenure=-1"),
        ("surrogate", {"epsilon": 1.5}, "epsilon=1.5"),
        ("surrogate", {"acquisition": "ucb"}, "acquisition='ucb'"),
        ("surrogate", {"prior": [{"score": 1.0}]}, "'config' and 'score'"),
        ("simulated-annealing", {}, "strategy='simulated-annealing'"),
        ("random", {"direction": "up"}, "direction='up'"),
    ],
)
def test_bad_options_raise_clear_errors(name, options, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make_strategy(name, finite_space(), **options)


def related(shift):
    """A family of problems whose optimum moves with a descriptor."""
    return lambda c: -abs(c["a"] - 30 - shift) - abs(c["b"] - 5)


def test_surrogate_prior_is_weighted_below_own_measurements():
    space = Space({"a": Ordinal(list(range(60))), "b": Ordinal(list(range(10)))})
    rng = np.random.default_rng(0)
    prior = []
    for shift in (-2, 2):
        for _ in range(60):
            config = space.sample(rng)
            prior.append(
                {"config": config, "score": related(shift)(config), "descriptors": {"shift": shift}}
            )
    strategy = SurrogateSearch(
        space, prior=prior, descriptors={"shift": 0}, random_state=0, prior_weight=0.25
    )
    drive(strategy, related(0), 3)
    _, _, weight = strategy._training_set()
    assert sorted(set(weight)) == [0.25, 1.0] and (weight == 1.0).sum() == 3


def test_surrogate_prior_warm_starts_the_search():
    """Measurements from related problems send the first model-guided picks near the optimum;
    without them the warm-up alone is random."""
    space = Space({"a": Ordinal(list(range(60))), "b": Ordinal(list(range(10)))})
    rng = np.random.default_rng(0)
    prior = []
    for shift in (-2, 2):
        for _ in range(80):
            config = space.sample(rng)
            prior.append(
                {"config": config, "score": related(shift)(config), "descriptors": {"shift": shift}}
            )
    with_prior, without = [], []
    for seed in range(3):
        for bucket, kwargs in (
            (with_prior, {"prior": prior, "descriptors": {"shift": 0}}),
            (without, {}),
        ):
            strategy = SurrogateSearch(space, random_state=seed, **kwargs)
            measured = drive(strategy, related(0), 6)
            bucket.append(max(s for _, s in measured))
    assert min(with_prior) >= -3  # within a few steps of the optimum in 6 trials
    assert np.mean(with_prior) > np.mean(without)
