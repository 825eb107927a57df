"""Trials, the evaluation cache shared by strategies, and the saved-history file format.

History file (JSON, ``"format": "treeboost-tune-history"``, ``"version": 1``)::

    {"format": "treeboost-tune-history", "version": 1,
     "direction": "maximize", "strategy": "tabu", "random_state": 0,
     "space": {"max_depth": {"type": "int", "low": 2, "high": 10, "log": false}, ...},
     "trials": [{"number": 0, "config": {"max_depth": 4, ...}, "score": 0.81,
                 "seconds": 1.2, "error": null, "strategy": "tabu",
                 "state": {"phase": "start"}}, ...]}

``score`` is null for a failed trial, whose ``error`` holds ``"ExceptionType: message"``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HISTORY_FORMAT = "treeboost-tune-history"
HISTORY_VERSION = 1


@dataclass
class Trial:
    """One evaluation: the configuration, its score (NaN when it failed), and how it went."""

    number: int
    config: dict[str, Any]
    score: float
    seconds: float = 0.0
    error: str | None = None
    strategy: str = ""
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.error is not None or not math.isfinite(self.score)

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "config": self.config,
            "score": None if not math.isfinite(self.score) else self.score,
            "seconds": self.seconds,
            "error": self.error,
            "strategy": self.strategy,
            "state": self.state,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trial:
        missing = {"number", "config", "score"} - set(data)
        if missing:
            raise ValueError(f"history trial {dict(data)!r} misses the fields {sorted(missing)}")
        score = data["score"]
        return cls(
            number=int(data["number"]),
            config=dict(data["config"]),
            score=float("nan") if score is None else float(score),
            seconds=float(data.get("seconds", 0.0)),
            error=data.get("error"),
            strategy=str(data.get("strategy", "")),
            state=dict(data.get("state") or {}),
        )


class EvaluationCache:
    """Scores of every configuration measured so far, by cache key (see ``Space.key``).

    One cache can serve several strategies one after another (or a resumed search): a strategy
    never asks for a configuration the cache already holds, and reads cached scores for free.
    Failed evaluations are kept as NaN so that they are not retried.
    """

    def __init__(self) -> None:
        self._scores: dict[Hashable, float] = {}
        self._configs: dict[Hashable, dict[str, Any]] = {}

    def record(self, key: Hashable, config: Mapping[str, Any], score: float) -> None:
        self._scores[key] = float(score)
        self._configs[key] = dict(config)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._scores

    def __len__(self) -> int:
        return len(self._scores)

    def score(self, key: Hashable) -> float:
        return self._scores[key]

    def get(self, key: Hashable, default: float | None = None) -> float | None:
        return self._scores.get(key, default)

    def items(self) -> Iterator[tuple[dict[str, Any], float]]:
        """(configuration, score) pairs in the order they were recorded."""
        for key, score in self._scores.items():
            yield self._configs[key], score


def save_history(path: str | os.PathLike, header: Mapping[str, Any], trials: list[Trial]) -> None:
    """Write the history atomically (a crash mid-write leaves the previous file intact)."""
    path = Path(path)
    document = {"format": HISTORY_FORMAT, "version": HISTORY_VERSION, **header}
    document["trials"] = [t.to_dict() for t in trials]
    text = json.dumps(document, indent=1, allow_nan=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_history(path: str | os.PathLike) -> tuple[dict[str, Any], list[Trial]]:
    """Read a history file: (header without the trials, trials)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"history file {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != HISTORY_FORMAT:
        raise ValueError(
            f"history file {str(path)!r} is not a treeboost tune history "
            f'(expected "format": "{HISTORY_FORMAT}")'
        )
    if document.get("version") != HISTORY_VERSION:
        raise ValueError(
            f"history file {str(path)!r} has version {document.get('version')!r}; "
            f"this treeboost reads version {HISTORY_VERSION}"
        )
    trials = [Trial.from_dict(t) for t in document.pop("trials", [])]
    return document, trials
