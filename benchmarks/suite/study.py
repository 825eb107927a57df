"""The defaults study: candidate settings of treeboost, chosen on one half of the tables and
reported on the other.

A candidate is a full set of the settings the study varies, written out (not "the current
defaults"), so that its stored results keep their meaning when the defaults change. It runs
under the label ``treeboost@NAME``. The tables are split into two halves that each hold every
task (sorted by task and name, alternately); on each half the candidate with the best mean rank
against the peers' defaults is chosen (ties: the higher mean normalised score), and is then
scored on the other half, which played no part in choosing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .scoring import Record, summarise

# Every setting the study varies, at XGBoost's values; a candidate overrides some of them, so each
# candidate fixes all of them and keeps its meaning whatever treeboost's defaults are.
BASE = {"learning_rate": 0.3, "max_depth": 6, "n_estimators": 100, "grow_policy": "depthwise",
        "max_leaves": 0, "min_child_weight": 1.0, "reg_lambda": 1.0, "colsample_bytree": 1.0,
        "subsample": 1.0, "max_bin": 256}

CANDIDATES: dict[str, dict] = {
    # XGBoost's defaults (treeboost's until this study).
    "xgb-lr0.3-d6": {"learning_rate": 0.3, "max_depth": 6, "n_estimators": 100},
    "lr0.1-d6": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100},
    # LightGBM's shape: 31 leaves grown best-first, no depth limit.
    "lr0.1-leaves31": {"learning_rate": 0.1, "grow_policy": "lossguide", "max_leaves": 31,
                       "max_depth": 0, "n_estimators": 100},
    "lr0.1-d6-col0.8": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                        "colsample_bytree": 0.8},
    "lr0.1-d6-mcw3": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                      "min_child_weight": 3.0},
    "lr0.1-d6-lambda5": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                         "reg_lambda": 5.0},
    # Second round: combinations around the first round's best (learning rate 0.1, columns 0.8).
    "lr0.1-d6-col0.8-lambda5": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                                "colsample_bytree": 0.8, "reg_lambda": 5.0},
    "lr0.1-d6-col0.5": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                        "colsample_bytree": 0.5},
    "lr0.1-leaves31-col0.8": {"learning_rate": 0.1, "grow_policy": "lossguide", "max_leaves": 31,
                              "max_depth": 0, "n_estimators": 100, "colsample_bytree": 0.8},
    "lr0.1-d6-col0.8-sub0.8": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                               "colsample_bytree": 0.8, "subsample": 0.8},
    "lr0.1-d5-col0.8": {"learning_rate": 0.1, "max_depth": 5, "n_estimators": 100,
                        "colsample_bytree": 0.8},
    "lr0.1-d6-col0.8-bin64": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                              "colsample_bytree": 0.8, "max_bin": 64},
    # Third round: row sampling, the second round's best addition, with the other shapes.
    "lr0.1-leaves31-col0.8-sub0.8": {"learning_rate": 0.1, "grow_policy": "lossguide",
                                     "max_leaves": 31, "max_depth": 0, "n_estimators": 100,
                                     "colsample_bytree": 0.8, "subsample": 0.8},
    "lr0.1-d6-col0.8-sub0.7": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                               "colsample_bytree": 0.8, "subsample": 0.7},
    "lr0.1-d6-col0.6-sub0.8": {"learning_rate": 0.1, "max_depth": 6, "n_estimators": 100,
                               "colsample_bytree": 0.6, "subsample": 0.8},
    "lr0.1-d7-col0.8-sub0.8": {"learning_rate": 0.1, "max_depth": 7, "n_estimators": 100,
                               "colsample_bytree": 0.8, "subsample": 0.8},
}


def candidate_labels() -> list[str]:
    return [f"treeboost@{name}" for name in CANDIDATES]


def resolve(label: str) -> tuple[str, dict]:
    """``(library, params)`` of a run label: a library name, or ``treeboost@CANDIDATE``."""
    from .libraries import LIBRARIES

    if label in LIBRARIES:
        return label, {}
    library, _, name = label.partition("@")
    if library == "treeboost" and name in CANDIDATES:
        return "treeboost", {**BASE, **CANDIDATES[name]}
    known = ", ".join([*LIBRARIES, *candidate_labels()])
    raise ValueError(f"unknown library {label!r}; expected one of: {known}")


def halves(tables: list[str], tasks: dict[str, str]) -> tuple[list[str], list[str]]:
    ordered = sorted(tables, key=lambda t: (tasks[t], t))
    return ordered[0::2], ordered[1::2]


@dataclass
class Choice:
    chosen_on: list[str]
    reported_on: list[str]
    candidate: str
    ranking: list[tuple[str, float, float]]  # (candidate, mean rank, mean normalised) on chosen_on


def choose(records: dict[str, dict[str, Record]], tasks: dict[str, str], peers: list[str],
           candidates: list[str], chosen_on: list[str], reported_on: list[str]) -> Choice:
    subset = {t: records[t] for t in chosen_on if t in records}
    ranking = []
    for candidate in candidates:
        summary = summarise(subset, tasks, [candidate, *peers])
        if not summary.tables:
            continue
        ranking.append((candidate, summary.mean_rank(candidate),
                        summary.mean_normalised(candidate)))
    ranking.sort(key=lambda r: (r[1], -r[2]))
    if not ranking:
        raise ValueError("no candidate has results on every table of the half")
    return Choice(chosen_on, reported_on, ranking[0][0], ranking)
