"""Search spaces: integer, float (linear or log), ordinal, categorical and conditional parameters.

A configuration is a plain dict ``{name: value}`` that holds only the *active* parameters: a
parameter with a ``condition`` is present only when its parent is active and holds one of the
listed values. Every value is a JSON scalar (int, float, str, bool or None), so histories can be
saved and resumed, and every configuration has one canonical cache key.

Strategies see each parameter through a few operations: ``sample`` (random search, genetic
initial population), ``grid`` (grid search, and the lattice that tabu search walks), ``mutate``
(genetic), ``encode`` (features of the surrogate model, monotone in the value) and ``unit`` (a
position in [0, 1] for distances).
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

_SCALAR_TYPES = (str, bool, int, float, type(None))


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python scalar JSON and cache keys expect."""
    return value.item() if isinstance(value, np.generic) else value


def _check_condition(condition: Any) -> dict[str, tuple] | None:
    if condition is None:
        return None
    if not isinstance(condition, Mapping) or len(condition) != 1:
        raise ValueError(
            f"condition={condition!r} is not valid; valid: a dict with one entry "
            "{parent_name: [values]}, e.g. {'grow_policy': ['lossguide']}"
        )
    ((parent, values),) = condition.items()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise ValueError(
            f"condition={condition!r} is not valid; the values of {parent!r} that activate "
            "the parameter must be a non-empty list"
        )
    return {str(parent): tuple(_plain(v) for v in values)}


class Param:
    """Base of the parameter types. ``condition`` makes the parameter conditional."""

    kind = "param"

    def __init__(self, condition: Mapping[str, Sequence] | None = None):
        self.condition = _check_condition(condition)

    # ordered parameters move to adjacent lattice values; categorical ones to any other choice
    ordered = True

    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def grid(self, n_points: int) -> list:
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        raise NotImplementedError

    def canonical(self, value: Any) -> Any:
        return _plain(value)

    def encode(self, value: Any) -> float:
        raise NotImplementedError

    def unit(self, value: Any) -> float:
        raise NotImplementedError

    def from_unit(self, u: float) -> Any:
        raise NotImplementedError

    def mutate(self, value: Any, rng: np.random.Generator, scale: float) -> Any:
        """A value near ``value``: a Gaussian step of ``scale`` in unit coordinates."""
        u = min(max(self.unit(value) + float(rng.normal(0.0, scale)), 0.0), 1.0)
        return self.from_unit(u)

    def to_dict(self) -> dict:
        out = {"type": self.kind, **self._fields()}
        if self.condition is not None:
            out["condition"] = {k: list(v) for k, v in self.condition.items()}
        return out

    def _fields(self) -> dict:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._fields().items())
        cond = "" if self.condition is None else f", condition={self.condition!r}"
        return f"{type(self).__name__}({fields}{cond})"


class _Numeric(Param):
    """Shared logic of Integer and Float: a range, linear or logarithmic."""

    def __init__(self, low, high, log: bool = False, condition=None):
        super().__init__(condition)
        name = type(self).__name__
        for label, value in (("low", low), ("high", high)):
            if not self._accepts(value) or not math.isfinite(value):
                raise TypeError(f"{name} {label}={value!r} is not valid; valid: {self._valid}")
        if not low < high:
            raise ValueError(f"{name}(low={low!r}, high={high!r}) needs low < high")
        if log and low <= 0:
            raise ValueError(f"{name}(low={low!r}, log=True) needs low > 0 on a log scale")
        self.low, self.high, self.log = self._cast(low), self._cast(high), bool(log)

    def _forward(self, value: float) -> float:
        return math.log(value) if self.log else float(value)

    def unit(self, value) -> float:
        lo, hi = self._forward(self.low), self._forward(self.high)
        return (self._forward(value) - lo) / (hi - lo)

    def encode(self, value) -> float:
        return self._forward(value)

    def from_unit(self, u: float):
        if u <= 0.0 or u >= 1.0:  # the ends exactly, without a round trip through log/exp
            return self.low if u <= 0.0 else self.high
        lo, hi = self._forward(self.low), self._forward(self.high)
        x = lo + float(u) * (hi - lo)
        return self._clip(self._cast_result(math.exp(x) if self.log else x))

    def sample(self, rng: np.random.Generator):
        return self.from_unit(rng.random())

    def contains(self, value) -> bool:
        return self._accepts(value) and self.low <= value <= self.high

    def _clip(self, value):
        return min(max(value, self.low), self.high)

    def _fields(self) -> dict:
        return {"low": self.low, "high": self.high, "log": self.log}


class Integer(_Numeric):
    """An integer in ``[low, high]`` (both included), uniform or log-uniform."""

    kind = "int"
    _valid = "an integer"

    @staticmethod
    def _accepts(value) -> bool:
        return _is_int(value)

    _cast = staticmethod(int)

    @staticmethod
    def _cast_result(x: float) -> int:
        return int(round(x))

    def canonical(self, value) -> int:
        return int(value)

    def mutate(self, value, rng: np.random.Generator, scale: float) -> int:
        new = super().mutate(value, rng, scale)
        if new == value:  # a step too small to leave the integer: go to a neighbour
            new = value + (
                1 if value == self.low else -1 if value == self.high else rng.choice((-1, 1))
            )
        return int(new)

    def grid(self, n_points: int) -> list[int]:
        if self.high - self.low + 1 <= n_points:
            return list(range(self.low, self.high + 1))
        return sorted({self.from_unit(u) for u in np.linspace(0.0, 1.0, n_points)})


class Float(_Numeric):
    """A float in ``[low, high]``, uniform or log-uniform (``log=True``)."""

    kind = "float"
    _valid = "a finite real number"

    @staticmethod
    def _accepts(value) -> bool:
        return _is_real(value)

    _cast = staticmethod(float)
    _cast_result = staticmethod(float)

    def canonical(self, value) -> float:
        return float(value)

    def grid(self, n_points: int) -> list[float]:
        return [self.from_unit(u) for u in np.linspace(0.0, 1.0, n_points)]


class _Choices(Param):
    """Shared logic of Ordinal and Categorical: a finite list of JSON scalars."""

    def __init__(self, values: Sequence, condition=None):
        super().__init__(condition)
        name = type(self).__name__
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"{name}(values={values!r}) needs a non-empty list of values")
        values = [_plain(v) for v in values]
        for v in values:
            if not isinstance(v, _SCALAR_TYPES) or (isinstance(v, float) and not math.isfinite(v)):
                raise TypeError(
                    f"{name} value {v!r} is not valid; valid: str, int, finite float, bool, None"
                )
        if len({self._lookup_key(v) for v in values}) != len(values):
            raise ValueError(f"{name}(values={values!r}) holds duplicates")
        self.values = values
        self._positions = {self._lookup_key(v): i for i, v in enumerate(values)}

    @staticmethod
    def _lookup_key(value) -> tuple:
        # bool is an int subclass: True must not match 1, while 2 and 2.0 may match
        return (isinstance(value, (bool, np.bool_)), value)

    def _index(self, value) -> int:
        try:
            return self._positions[self._lookup_key(_plain(value))]
        except TypeError:  # unhashable
            raise KeyError(value) from None

    def contains(self, value) -> bool:
        try:
            self._index(value)
        except KeyError:
            return False
        return True

    def canonical(self, value):
        return self.values[self._index(value)]

    def sample(self, rng: np.random.Generator):
        return self.values[int(rng.integers(len(self.values)))]

    def grid(self, n_points: int) -> list:
        return list(self.values)

    def encode(self, value) -> float:
        return float(self._index(value))

    def unit(self, value) -> float:
        return self._index(value) / max(len(self.values) - 1, 1)

    def from_unit(self, u: float):
        return self.values[int(round(u * (len(self.values) - 1)))]

    def mutate(self, value, rng: np.random.Generator, scale: float):
        n = len(self.values)
        if n == 1:
            return value
        i = self._index(value)
        j = min(max(i + int(round(float(rng.normal(0.0, scale)) * (n - 1))), 0), n - 1)
        if j == i:  # a step too small to leave the value: go to a neighbour
            j = i + (1 if i == 0 else -1 if i == n - 1 else int(rng.choice((-1, 1))))
        return self.values[j]

    def _fields(self) -> dict:
        return {"values": list(self.values)}


class Ordinal(_Choices):
    """An ordered list of values (e.g. ``[2, 4, 8, 16]``): moves go to adjacent values."""

    kind = "ordinal"

    def __init__(self, values: Sequence, condition=None):
        super().__init__(values, condition)
        if not all(_is_real(v) for v in self.values) or list(self.values) != sorted(self.values):
            raise ValueError(
                f"Ordinal(values={self.values!r}) needs numbers in increasing order; "
                "use Categorical for unordered choices"
            )


class Categorical(_Choices):
    """Unordered choices: a move may go to any other choice."""

    kind = "categorical"
    ordered = False

    def mutate(self, value, rng: np.random.Generator, scale: float):
        others = [v for v in self.values if v != value]
        return others[int(rng.integers(len(others)))] if others else value

    def unit(self, value) -> float:
        # distances treat any two different choices as equally far apart (see Space.unit)
        return float(self._index(value))


_TYPES = {cls.kind: cls for cls in (Integer, Float, Ordinal, Categorical)}


def param_from_dict(data: Mapping) -> Param:
    """The inverse of :meth:`Param.to_dict`."""
    data = dict(data)
    kind = data.pop("type", None)
    if kind not in _TYPES:
        raise ValueError(f"parameter type {kind!r} is not valid; valid: {sorted(_TYPES)}")
    return _TYPES[kind](**data)


class Space:
    """A named set of parameters, in order; conditional parameters follow their parent.

    Parameters
    ----------
    params : mapping of name -> Param
        A plain list or tuple stands for ``Categorical(values)``.
    """

    def __init__(self, params: Mapping[str, Param | Sequence]):
        if isinstance(params, Space):
            params = params.params
        if not isinstance(params, Mapping) or not params:
            raise ValueError(
                f"space={params!r} is not valid; valid: a non-empty dict of name -> parameter "
                "(Integer, Float, Ordinal, Categorical or a list of choices)"
            )
        self.params: dict[str, Param] = {}
        for name, param in params.items():
            if not isinstance(name, str) or not name:
                raise TypeError(f"parameter name {name!r} is not valid; valid: a non-empty str")
            if isinstance(param, (list, tuple)):
                param = Categorical(list(param))
            if not isinstance(param, Param):
                raise TypeError(
                    f"parameter {name!r}={param!r} is not valid; valid: Integer, Float, Ordinal, "
                    "Categorical or a list of choices"
                )
            if param.condition is not None:
                ((parent, values),) = param.condition.items()
                if parent not in self.params:
                    raise ValueError(
                        f"parameter {name!r} depends on {parent!r}, which is not declared "
                        "before it; declare the parent first"
                    )
                bad = [v for v in values if not self.params[parent].contains(v)]
                if bad:
                    raise ValueError(
                        f"condition of {name!r} uses values {bad!r} that {parent!r} cannot take"
                    )
            self.params[name] = param
        self.names = list(self.params)

    # -- configurations ----------------------------------------------------------------------------
    def is_active(self, name: str, config: Mapping[str, Any]) -> bool:
        condition = self.params[name].condition
        if condition is None:
            return True
        ((parent, values),) = condition.items()
        return parent in config and config[parent] in values

    def validate(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical form of ``config``; ValueError if it does not belong to the space."""
        if not isinstance(config, Mapping):
            raise TypeError(f"configuration {config!r} is not valid; valid: a dict")
        unknown = sorted(set(config) - set(self.params))
        if unknown:
            raise ValueError(f"configuration has unknown parameters {unknown}; valid: {self.names}")
        out: dict[str, Any] = {}
        for name, param in self.params.items():
            active = self.is_active(name, out)
            if not active:
                if name in config:
                    raise ValueError(
                        f"parameter {name!r}={config[name]!r} is given but inactive: its "
                        f"condition {param.condition!r} does not hold"
                    )
                continue
            if name not in config:
                raise ValueError(f"configuration misses the active parameter {name!r}")
            if not param.contains(config[name]):
                raise ValueError(
                    f"parameter {name}={config[name]!r} is outside the space; valid: {param!r}"
                )
            out[name] = param.canonical(config[name])
        return out

    def repair(self, config: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
        """Drop parameters that became inactive and sample those that became active."""
        out: dict[str, Any] = {}
        for name, param in self.params.items():
            if self.is_active(name, out):
                out[name] = config[name] if name in config else param.sample(rng)
        return out

    def key(self, config: Mapping[str, Any]) -> tuple:
        """The cache key of a canonical configuration (hashable; True and 1 stay apart)."""
        return tuple((n, config[n].__class__ is bool, config[n]) for n in self.names if n in config)

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        return self.repair({}, rng)

    def sample_lattice(self, rng: np.random.Generator, n_points: int) -> dict[str, Any]:
        """A random point of the lattice that ``grid(n_points)`` enumerates."""
        out: dict[str, Any] = {}
        for name, param in self.params.items():
            if self.is_active(name, out):
                values = param.grid(n_points)
                out[name] = values[int(rng.integers(len(values)))]
        return out

    def grid(self, n_points: int = 5) -> Iterator[dict[str, Any]]:
        """Every configuration of the lattice: ``n_points`` values per numeric parameter."""
        yield from self._grid_from({}, 0, n_points)

    def _grid_from(self, partial: dict, start: int, n_points: int) -> Iterator[dict]:
        for i in range(start, len(self.names)):
            name = self.names[i]
            if self.is_active(name, partial):
                for value in self.params[name].grid(n_points):
                    yield from self._grid_from({**partial, name: value}, i + 1, n_points)
                return
        yield dict(partial)

    def points(self) -> Iterator[dict[str, Any]]:
        """Every configuration of a finite space (ValueError when a Float makes it infinite)."""
        if not self.is_finite:
            raise ValueError(
                "the space holds a Float parameter, so it has no finite list of points"
            )
        widest = [p.high - p.low + 1 for p in self.params.values() if isinstance(p, Integer)]
        return self.grid(max([2, *widest]))

    def grid_size(self, n_points: int = 5) -> int:
        """Number of configurations that ``grid(n_points)`` yields, counted without listing."""
        return self._count({}, 0, lambda p: len(p.grid(n_points)), lambda p: p.grid(n_points))

    @property
    def is_finite(self) -> bool:
        return all(isinstance(p, (_Choices, Integer)) for p in self.params.values())

    def size(self) -> int | None:
        """Number of configurations of a finite space (None when a Float makes it infinite)."""
        if not self.is_finite:
            return None

        def n_values(p: Param) -> int:
            return p.high - p.low + 1 if isinstance(p, Integer) else len(p.values)

        def values(p: Param) -> list:
            return list(range(p.low, p.high + 1)) if isinstance(p, Integer) else list(p.values)

        return self._count({}, 0, n_values, values)

    def _count(self, partial: dict, start: int, n_values, values) -> int:
        # Only parents of a condition need branching; every other parameter multiplies.
        parents = {next(iter(p.condition)) for p in self.params.values() if p.condition}
        total = 1
        for i in range(start, len(self.names)):
            name = self.names[i]
            if not self.is_active(name, partial):
                continue
            param = self.params[name]
            if name in parents:
                return total * sum(
                    self._count({**partial, name: v}, i + 1, n_values, values)
                    for v in values(param)
                )
            total *= n_values(param)
        return total

    # -- numeric views -----------------------------------------------------------------------------
    def encode(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Surrogate features, shape (n, n_params); NaN for an inactive parameter."""
        out = np.full((len(configs), len(self.names)), np.nan)
        for j, (name, param) in enumerate(self.params.items()):
            encode = param.encode
            out[:, j] = [encode(c[name]) if name in c else np.nan for c in configs]
        return out

    def unit(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """Positions in [0, 1] per parameter, -1 when inactive; categorical codes as given."""
        out = np.full((len(configs), len(self.names)), -1.0)
        for j, (name, param) in enumerate(self.params.items()):
            unit = param.unit
            out[:, j] = [unit(c[name]) if name in c else -1.0 for c in configs]
        return out

    def distances(self, configs_a, configs_b) -> np.ndarray:
        """Pairwise distances: Euclidean over ordered parameters; a different categorical
        choice or activity counts 1."""
        a, b = self.unit(configs_a), self.unit(configs_b)
        diff = np.abs(a[:, None, :] - b[None, :, :])
        for j, name in enumerate(self.names):
            if not self.params[name].ordered:
                diff[:, :, j] = (diff[:, :, j] > 0).astype(float)
        inactive = (a[:, None, :] < 0) != (b[None, :, :] < 0)
        diff[inactive] = 1.0
        return np.sqrt((diff**2).sum(axis=2))

    # -- persistence -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {name: param.to_dict() for name, param in self.params.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping]) -> Space:
        return cls({name: param_from_dict(p) for name, p in data.items()})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {p!r}" for n, p in self.params.items())
        return f"Space({{{inner}}})"


def as_space(space: Space | Mapping) -> Space:
    """``space`` as a :class:`Space` (a dict of parameters is converted)."""
    return space if isinstance(space, Space) else Space(space)
