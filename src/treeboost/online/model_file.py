"""The online booster's file: a treeboost model file (docs/model-format.md) inside an envelope
that adds what online training needs to go on (configuration, bin edges, optimizer state).

``{"format": "treeboost-online", "version": 1, "online": {...}, "model": {...}}``: ``model`` is
exactly the document ``to_booster().save_raw()`` writes, so ``tb.Booster.load_model`` reads it
on its own; ``online`` is validated here, ``model`` by the model-file reader.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..model.booster import Booster
from .optimizers import optimizer_from_state

FORMAT = "treeboost-online"
VERSION = 1
ONLINE_KEYS = (
    "n_outputs", "n_features", "max_depth", "grow_policy", "max_bin", "split_score", "binning",
    "bin_edges", "min_samples_leaf", "max_trees", "init_bias", "n_steps", "folded_trees",
    "optimizers",
)  # fmt: skip


def write_online(booster) -> str:
    online = {
        "n_outputs": booster.n_outputs,
        "n_features": booster.n_features,
        "max_depth": booster.max_depth,
        "grow_policy": booster.grow_policy,
        "max_bin": booster.max_bin,
        "split_score": booster.split_score,
        "binning": booster.binning,
        "bin_edges": None if booster.bin_edges is None else [e.tolist() for e in booster.bin_edges],
        "min_samples_leaf": booster.min_samples_leaf,
        "max_trees": booster.max_trees,
        "init_bias": booster.init_bias.tolist(),
        "n_steps": booster.n_steps,
        "folded_trees": booster.folded_trees,
        "optimizers": [opt.state() for opt in booster.optimizers],
    }
    model = json.loads(booster.to_booster().save_raw())
    doc = {"format": FORMAT, "version": VERSION, "online": online, "model": model}
    return json.dumps(doc, separators=(",", ":"), allow_nan=False)


def _fail(message: str) -> ValueError:
    return ValueError(f"invalid online model file: {message}")


def _document(path_or_text: Any) -> dict:
    if isinstance(path_or_text, bytes) or (
        isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{")
    ):
        text = path_or_text
    else:
        try:
            with open(os.fspath(path_or_text), "rb") as fh:
                text = fh.read()
        except (OSError, TypeError) as exc:
            raise ValueError(f"cannot read online model file {path_or_text!r}: {exc}") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise _fail(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _fail(f"format must be {FORMAT!r}")
    if doc.get("version") != VERSION:
        raise _fail(f"version {doc.get('version')!r} is not supported; valid: {VERSION}")
    if sorted(doc) != sorted(("format", "version", "online", "model")):
        raise _fail(f"keys {sorted(doc)}; valid: format, version, online, model")
    online = doc["online"]
    if not isinstance(online, dict) or sorted(online) != sorted(ONLINE_KEYS):
        got = sorted(online) if isinstance(online, dict) else type(online).__name__
        raise _fail(f"online keys {got}; valid: {', '.join(ONLINE_KEYS)}")
    return doc


def read_online(cls, path_or_text: Any):
    doc = _document(path_or_text)
    online = doc["online"]
    try:
        optimizers = [optimizer_from_state(state) for state in online["optimizers"]]
        booster = cls(
            online["n_outputs"],
            max_depth=online["max_depth"],
            grow_policy=online["grow_policy"],
            max_bin=online["max_bin"],
            split_score=online["split_score"],
            optimizers=optimizers,
            init_bias=online["init_bias"],
            max_trees=online["max_trees"],
            binning=online["binning"],
            bin_edges=online["bin_edges"],
            min_samples_leaf=online["min_samples_leaf"],
            n_features=online["n_features"],
        )
    except (TypeError, ValueError, KeyError) as exc:
        raise _fail(f"online: {exc}") from None
    model = Booster.load_model(json.dumps(doc["model"], separators=(",", ":")))
    if model.n_outputs != booster.n_outputs or (
        booster.n_features is not None and model.n_features != booster.n_features
    ):
        raise _fail("model and online disagree on n_outputs or n_features")
    booster.bias = model.base_margin.copy()
    booster.n_steps = int(online["n_steps"])
    booster.folded_trees = int(online["folded_trees"])
    try:
        booster._append_from_booster(model)
    except (ValueError, IndexError) as exc:
        raise _fail(f"model: {exc}") from None
    return booster
