"""The scikit-learn learning-to-rank estimator: :class:`TreeBoostRanker`."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..data.queries import check_qid, qid_from_group
from ..model.params import DEFAULTS
from .estimators import _FIT_DOC, _TreeBoostModel, init_with_parameters

# The ranking parameters, with the parameter table's (XGBoost's) defaults.
_RANKING_PARAMS: dict[str, Any] = {
    name: DEFAULTS[name]
    for name in DEFAULTS
    if name.startswith("lambdarank_") or name == "ndcg_exp_gain"
}

_RANKING_OBJECTIVES = ("rank:ndcg", "rank:map", "rank:pairwise")


def _query_ids(qid: Any, group: Any, n_rows: int, what: str) -> np.ndarray:
    """Per-row query ids from ``qid`` or ``group`` sizes; every row in one query if neither."""
    if qid is not None and group is not None:
        raise ValueError(f"pass {what}qid= or {what}group=, not both")
    if qid is not None:
        return check_qid(qid, n_rows)
    if group is not None:
        sizes = np.asarray(group)
        if sizes.ndim != 1 or sizes.dtype.kind not in "iu" or sizes.sum() != n_rows:
            raise ValueError(
                f"{what}group must be a 1-D array of integer query sizes summing to the "
                f"{n_rows} rows; got {np.asarray(group)!r}"[:300]
            )
        return qid_from_group(sizes.astype(np.int64))
    return np.zeros(n_rows, dtype=np.int64)


class TreeBoostRanker(_TreeBoostModel):
    """Gradient boosted trees for learning to rank (LambdaMART; ``objective="rank:ndcg"`` by
    default, also ``"rank:map"`` and ``"rank:pairwise"``).

    Parameters follow XGBoost's scikit-learn API (``XGBRanker``); the ranking ones are
    ``lambdarank_pair_method``, ``lambdarank_num_pair_per_sample``,
    ``lambdarank_normalization``, ``lambdarank_score_normalization``,
    ``lambdarank_unbiased``, ``lambdarank_bias_norm`` and ``ndcg_exp_gain``. The tree and
    sampling defaults are those of the other estimators (docs/defaults.md). Queries are given
    to :meth:`fit` as ``qid`` (one id per row, in any order) or ``group`` (sizes of adjacent
    queries); with neither, all rows form one query.
    """

    _default_objective = "rank:ndcg"
    __init__ = init_with_parameters(_RANKING_PARAMS)

    def _train_params(self, extra: dict[str, Any]) -> dict[str, Any]:
        params = super()._train_params(extra)
        params.update({name: getattr(self, name) for name in _RANKING_PARAMS})
        if isinstance(params["objective"], str) and params["objective"] not in _RANKING_OBJECTIVES:
            raise ValueError(
                f"objective={params['objective']!r} is not a ranking objective; valid: "
                f"{', '.join(_RANKING_OBJECTIVES)}, a callable or None"
            )
        return params

    def fit(
        self,
        X,
        y,
        *,
        qid=None,
        group=None,
        sample_weight=None,
        eval_set=None,
        eval_qid=None,
        eval_group=None,
        sample_weight_eval_set=None,
        verbose: bool | int = False,
        feature_weights=None,
    ) -> TreeBoostRanker:
        X, y = self._validate_X_y(X, y, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        ids = _query_ids(qid, group, X.shape[0], "")
        eval_set = list(eval_set or [])
        for name, value in (("eval_qid", eval_qid), ("eval_group", eval_group)):
            if value is not None and len(value) != len(eval_set):
                raise ValueError(
                    f"{name} has {len(value)} entries; it needs one per eval_set pair "
                    f"({len(eval_set)})"
                )
        eval_info = [
            {
                "qid": _query_ids(
                    None if eval_qid is None else eval_qid[i],
                    None if eval_group is None else eval_group[i],
                    len(pair[1]),
                    "eval_",
                )
            }
            for i, pair in enumerate(eval_set)
        ]
        self._fit_booster(
            X,
            y,
            sample_weight,
            eval_set,
            sample_weight_eval_set,
            verbose,
            {},
            feature_weights=feature_weights,
            row_info={"qid": ids},
            eval_row_info=eval_info,
        )
        return self

    fit.__doc__ = (
        "Train on ``X`` and relevance labels ``y`` (non-negative; integers for NDCG).\n"
        + _FIT_DOC.replace(
            "        sample_weight :",
            "        qid : array-like of shape (n_samples,), optional\n"
            "            Query id of every row, in any order.\n"
            "        group : array-like of int, optional\n"
            "            Sizes of adjacent queries, instead of ``qid``.\n"
            "        eval_qid, eval_group : list, optional\n"
            "            One ``qid`` / ``group`` array per ``eval_set`` pair.\n"
            "        sample_weight :",
        )
    )

    def predict(self, X, output_margin: bool = False, iteration_range=None) -> np.ndarray:
        """Ranking scores, shape (n_samples,): within a query, higher ranks first."""
        return self._margin_or_prediction(X, output_margin, iteration_range)

    def score(self, X, y, sample_weight=None, *, qid=None, group=None, k=None) -> float:
        """Mean NDCG (at ``k``, or over whole queries) of the predicted order of ``X`` against
        relevance ``y``, queries from ``qid`` or ``group`` (all rows one query by default)."""
        from ..metrics.ranking import ndcg_score

        y = np.asarray(y, dtype=np.float64)
        ids = _query_ids(qid, group, y.shape[0], "")
        return float(
            ndcg_score(y, self.predict(X), ids, k=k, exp_gain=bool(self.ndcg_exp_gain))
        )

    def __sklearn_tags__(self):
        tags = BaseEstimator.__sklearn_tags__(self)
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        tags.estimator_type = "ranker"
        return tags
