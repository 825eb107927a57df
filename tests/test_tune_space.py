"""Search spaces: parameter types, conditions, grids, validation, persistence."""

import math

import numpy as np
import pytest

from treeboost.tune import Categorical, Float, Integer, Ordinal, Space, default_space
from treeboost.tune.space import param_from_dict


def conditional_space():
    return Space(
        {
            "policy": Categorical(["depthwise", "lossguide"]),
            "depth": Integer(2, 5),
            "leaves": Ordinal([4, 8, 16], condition={"policy": ["lossguide"]}),
            "rate": Float(0.01, 1.0, log=True),
        }
    )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Integer(5, 5), "low < high"),
        (lambda: Integer(1.5, 5), "low=1.5"),
        (lambda: Integer(0, 5, log=True), "low > 0"),
        (lambda: Float(0.0, math.inf), "high=inf"),
        (lambda: Float(1.0, 0.5), "low < high"),
        (lambda: Categorical([]), "non-empty"),
        (lambda: Categorical(["a", "a"]), "duplicates"),
        (lambda: Categorical([object()]), "value"),
        (lambda: Ordinal([3, 1, 2]), "increasing"),
        (lambda: Ordinal(["a", "b"]), "increasing"),
        (lambda: Integer(1, 3, condition={"a": []}), "non-empty"),
        (lambda: Integer(1, 3, condition="a"), "condition"),
    ],
)
def test_bad_parameters_raise_clear_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_space_rejects_bad_declarations():
    with pytest.raises(ValueError, match="declared before"):
        Space({"x": Integer(1, 3, condition={"p": ["a"]}), "p": ["a", "b"]})
    with pytest.raises(ValueError, match="cannot take"):
        Space({"p": ["a", "b"], "x": Integer(1, 3, condition={"p": ["c"]})})
    with pytest.raises(TypeError, match="parameter 'x'"):
        Space({"x": 3})
    with pytest.raises(ValueError, match="non-empty dict"):
        Space({})


def test_samples_respect_ranges_and_conditions():
    space = conditional_space()
    rng = np.random.default_rng(0)
    rates = []
    for _ in range(500):
        config = space.sample(rng)
        assert space.validate(config) == config
        assert ("leaves" in config) == (config["policy"] == "lossguide")
        assert 2 <= config["depth"] <= 5 and isinstance(config["depth"], int)
        rates.append(config["rate"])
    # log-uniform on [0.01, 1]: the median is near the geometric mean 0.1
    assert 0.06 < np.median(rates) < 0.16


def test_validate_names_the_problem():
    space = conditional_space()
    good = {"policy": "lossguide", "depth": 3, "leaves": 8, "rate": 0.1}
    assert space.validate(good) == good
    with pytest.raises(ValueError, match="unknown parameters"):
        space.validate({**good, "other": 1})
    with pytest.raises(ValueError, match="misses the active parameter 'leaves'"):
        space.validate({"policy": "lossguide", "depth": 3, "rate": 0.1})
    with pytest.raises(ValueError, match="inactive"):
        space.validate({**good, "policy": "depthwise"})
    with pytest.raises(ValueError, match="depth=9"):
        space.validate({**good, "depth": 9})


def test_grid_enumerates_every_active_combination():
    space = conditional_space()
    points = list(space.grid(3))
    # Integer(2, 5) on 3 points: 2, 4, 5 (rounded); depthwise: 3 depths x 3 rates;
    # lossguide: 3 depths x 3 leaves x 3 rates
    assert space.params["depth"].grid(3) == [2, 4, 5]
    assert len(points) == 3 * 3 + 3 * 3 * 3 == space.grid_size(3)
    assert len({space.key(p) for p in points}) == len(points)
    for p in points:
        space.validate(p)
    assert space.size() is None  # the Float makes it infinite
    finite = Space({"p": ["a", "b"], "n": Integer(1, 4, condition={"p": ["b"]})})
    assert finite.size() == 1 + 4 == len(list(finite.points()))


def test_float_grid_is_log_spaced():
    assert Float(0.01, 1.0, log=True).grid(3) == pytest.approx([0.01, 0.1, 1.0])
    assert Float(0.01, 1.0, log=True).grid(3)[0] == 0.01  # ends exact, not exp(log(x))
    assert Integer(1, 100, log=True).grid(3) == [1, 10, 100]
    assert Integer(1, 4).grid(10) == [1, 2, 3, 4]


def test_keys_keep_true_and_one_apart():
    space = Space({"c": Categorical([True, 1, "1"])})
    keys = {space.key(space.validate({"c": v})) for v in (True, 1, "1")}
    assert len(keys) == 3
    assert space.validate({"c": np.int64(1)}) == {"c": 1}


def test_mutate_moves_within_range():
    rng = np.random.default_rng(1)
    for param, value in [
        (Integer(1, 10), 5),
        (Float(0.0, 1.0), 0.5),
        (Ordinal([1, 2, 4, 8]), 1),
        (Categorical(["a", "b", "c"]), "b"),
    ]:
        for _ in range(50):
            new = param.mutate(value, rng, 0.05)
            assert param.contains(new)
            if not isinstance(param, Float):
                assert new != value


def test_round_trip_through_dict():
    space = conditional_space()
    assert Space.from_dict(space.to_dict()) == space
    with pytest.raises(ValueError, match="parameter type"):
        param_from_dict({"type": "complex"})


def test_encode_gives_nan_for_inactive_parameters():
    space = conditional_space()
    X = space.encode([{"policy": "depthwise", "depth": 2, "rate": 0.1}])
    assert np.isnan(X[0, 2]) and X[0, 3] == pytest.approx(math.log(0.1))


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
def test_default_space_fits_the_estimators(task):
    from treeboost import TreeBoostClassifier, TreeBoostRegressor

    space = default_space(task)
    estimator = TreeBoostRegressor() if task == "regression" else TreeBoostClassifier()
    rng = np.random.default_rng(0)
    for _ in range(20):
        estimator.set_params(**space.sample(rng))
    assert "n_estimators" not in default_space(task, n_estimators=False).names


def test_default_space_rejects_unknown_task():
    with pytest.raises(ValueError, match="task='ranking'"):
        default_space("ranking")
