"""Scores, ranks and paired comparisons of the suite (pure functions on plain numbers).

Per task one score: ROC AUC for binary tables (higher is better), log loss for multiclass and
RMSE for regression (lower is better). A library's score on a table is its mean over the
cross-validation folds, all libraries on the same folds. Two scores within ``TIE_TOLERANCE``
(relative) are a tie: for ranks and for wins/ties/losses alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .tables import BINARY, MULTICLASS, REGRESSION

METRIC = {BINARY: "ROC AUC", MULTICLASS: "log loss", REGRESSION: "RMSE"}
HIGHER_IS_BETTER = {BINARY: True, MULTICLASS: False, REGRESSION: False}
TIE_TOLERANCE = 1e-4


def fold_score(task: str, y_true, prediction) -> float:
    y_true = np.asarray(y_true)
    prediction = np.asarray(prediction, dtype=np.float64)
    if task == BINARY:
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(y_true, prediction[:, 1]))
    if task == MULTICLASS:
        from sklearn.metrics import log_loss

        # float32 probabilities (XGBoost's) sum to 1 only to float32 precision.
        prediction = prediction / prediction.sum(axis=1, keepdims=True)
        return float(log_loss(y_true, prediction, labels=np.arange(prediction.shape[1])))
    if task == REGRESSION:
        return float(np.sqrt(np.mean((y_true - prediction) ** 2)))
    raise ValueError(f"task={task!r}: expected one of {BINARY}, {MULTICLASS}, {REGRESSION}")


def compare(a: float, b: float, higher_is_better: bool) -> int:
    """+1 when ``a`` is better than ``b``, -1 when worse, 0 for a tie (within the tolerance)."""
    if abs(a - b) <= TIE_TOLERANCE * max(abs(a), abs(b), 1e-12):
        return 0
    better = a > b if higher_is_better else a < b
    return 1 if better else -1


def ranks(scores: dict[str, float], higher_is_better: bool) -> dict[str, float]:
    """Rank 1 = best; tied libraries share the mean of the ranks they span."""
    out = {}
    for name, score in scores.items():
        others = [compare(score, s, higher_is_better) for n, s in scores.items() if n != name]
        out[name] = 1.0 + sum(o < 0 for o in others) + 0.5 * sum(o == 0 for o in others)
    return out


def normalised(scores: dict[str, float], higher_is_better: bool) -> dict[str, float]:
    """1 for the best library on the table, 0 for the worst, linear between."""
    values = np.array(list(scores.values()))
    best = values.max() if higher_is_better else values.min()
    worst = values.min() if higher_is_better else values.max()
    if best == worst:
        return dict.fromkeys(scores, 1.0)
    return {n: float((s - worst) / (best - worst)) for n, s in scores.items()}


def gap_to_best(score: float, best: float, higher_is_better: bool) -> float:
    """How much worse ``score`` is than ``best``, relative to ``best`` (0 when it is as good)."""
    worse = (best - score) if higher_is_better else (score - best)
    return max(0.0, worse) / max(abs(best), 1e-12)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided p-value of ``wins`` against ``losses`` under a fair coin (ties left out)."""
    n = wins + losses
    if n == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(wins, n, 0.5).pvalue)


@dataclass
class Record:
    """Per table and library: the fold scores and fit seconds."""

    scores: list[float]
    fit_seconds: list[float]

    @property
    def score(self) -> float:
        return float(np.mean(self.scores))

    @property
    def fit_time(self) -> float:
        return float(np.median(self.fit_seconds))


@dataclass
class Summary:
    tables: list[str]
    libraries: list[str]
    tasks: dict[str, str]
    score: dict[str, dict[str, float]]  # table -> library -> mean score
    rank: dict[str, dict[str, float]]
    norm: dict[str, dict[str, float]]
    fit_time: dict[str, dict[str, float]]

    def mean_rank(self, library: str) -> float:
        return float(np.mean([self.rank[t][library] for t in self.tables]))

    def mean_normalised(self, library: str) -> float:
        return float(np.mean([self.norm[t][library] for t in self.tables]))

    def head_to_head(self, library: str, peer: str) -> tuple[int, int, int, float]:
        """Wins, ties, losses of ``library`` against ``peer`` over the tables; sign-test p."""
        outcome = [
            compare(self.score[t][library], self.score[t][peer],
                    HIGHER_IS_BETTER[self.tasks[t]])
            for t in self.tables
        ]
        wins, ties, losses = outcome.count(1), outcome.count(0), outcome.count(-1)
        return wins, ties, losses, sign_test(wins, losses)

    def gap(self, table: str, library: str, peers: list[str]) -> float:
        higher = HIGHER_IS_BETTER[self.tasks[table]]
        scores = [self.score[table][p] for p in peers]
        best = max(scores) if higher else min(scores)
        return gap_to_best(self.score[table][library], best, higher)

    def time_ratio(self, table: str, library: str, peers: list[str]) -> float:
        fastest = min(self.fit_time[table][p] for p in peers)
        return self.fit_time[table][library] / fastest if fastest > 0 else math.inf


def summarise(records: dict[str, dict[str, Record]], tasks: dict[str, str],
              libraries: list[str]) -> Summary:
    """Ranks and normalised scores over the tables on which every library in ``libraries`` ran."""
    tables = [t for t in records if all(lib in records[t] for lib in libraries)]
    score, rank, norm, fit_time = {}, {}, {}, {}
    for t in tables:
        higher = HIGHER_IS_BETTER[tasks[t]]
        score[t] = {lib: records[t][lib].score for lib in libraries}
        rank[t] = ranks(score[t], higher)
        norm[t] = normalised(score[t], higher)
        fit_time[t] = {lib: records[t][lib].fit_time for lib in libraries}
    return Summary(tables, list(libraries), tasks, score, rank, norm, fit_time)
