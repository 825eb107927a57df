"""Shared hypothesis settings and case counters of the reliability suites.

Two budgets: the default run (``pytest``) uses :data:`QUICK`, a few examples per property with
no deadline, so that every reliability file together adds about a minute; the long profile
(``pytest -m fuzz``) runs the same property bodies as separate ``fuzz``-marked tests under
:data:`LONG` (``TREEBOOST_FUZZ_EXAMPLES`` sets its size, 1000 by default).

Every property counts the cases it tried in :data:`CASES` (per suite and profile); the counts are
written, one JSON line per suite and profile, to the file ``$TREEBOOST_FUZZ_COUNTS`` names (when
set) as the test process exits.
"""

from __future__ import annotations

import atexit
import json
import os
import warnings
from collections import Counter

import numpy as np
from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,
    derandomize=True,  # the default run is reproducible: same cases every time
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    database=None,
)
QUICK = settings(max_examples=60, **_COMMON)
LONG = settings(
    max_examples=int(os.environ.get("TREEBOOST_FUZZ_EXAMPLES", "1000")),
    **{**_COMMON, "derandomize": False},
)

CASES: Counter = Counter()


def count(suite: str, profile: str, n: int = 1) -> None:
    CASES[(suite, profile)] += n


def _dump() -> None:
    path = os.environ.get("TREEBOOST_FUZZ_COUNTS")
    if path and CASES:
        with open(path, "a", encoding="utf-8") as fh:
            for (suite, profile), n in sorted(CASES.items()):
                fh.write(json.dumps({"suite": suite, "profile": profile, "cases": n}) + "\n")


atexit.register(_dump)


# -- what every case must end in ------------------------------------------------------------
NUMBA_MODULE_PREFIXES = ("numba",)


def is_numba_error(exc: BaseException) -> bool:
    return any(type(e).__module__.startswith(NUMBA_MODULE_PREFIXES) for e in _chain(exc))


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def check_clean_error(exc: BaseException, names: tuple[str, ...] = ()) -> None:
    """A refused case: a one-line ValueError/TypeError (no numba error anywhere in its chain)
    that names one of ``names`` when they are given."""
    assert isinstance(exc, (ValueError, TypeError)), f"{type(exc).__module__}.{exc!r}"
    assert not is_numba_error(exc), f"numba error escaped: {exc!r}"
    text = str(exc)
    assert text.strip(), f"empty message: {exc!r}"
    assert "\n" not in text.strip(), f"error is not one line: {text!r}"
    if names:
        assert any(n in text for n in names), f"error names none of {names}: {text!r}"


def run_or_refuse(fn, names: tuple[str, ...] = ()):
    """``fn()``'s result, or None when it refused the case cleanly (else the test fails)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except (ValueError, TypeError) as exc:
            check_clean_error(exc, names)
            return None


def assert_finite(array, what: str) -> None:
    array = np.asarray(array)
    assert np.all(np.isfinite(array)), f"{what}: non-finite output from finite input"
