"""Learning-to-rank objectives: LambdaMART under XGBoost's names and semantics.

``rank:ndcg`` and ``rank:map`` weigh each pair of documents of one query by the change in NDCG or
average precision that swapping them would make; ``rank:pairwise`` weighs every pair alike
(RankNet). The gradients themselves are in :mod:`treeboost.kernels.ranking`. Scores are margins:
the link is the identity, and a model ranks the documents of a query by its predictions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..kernels.ranking import (
    MAP,
    MEAN,
    NDCG,
    PAIRWISE,
    TOPK,
    fill_lambdarank_gradients,
    sum_by_position,
)
from ..metrics.ranking import check_relevance, query_weights
from .base import Objective, as_labels, as_margin, check_gh_out, margin_rows

# Pairs per document when lambdarank_num_pair_per_sample is unset, as in XGBoost: the top-k
# method pairs the top 32 documents with everything below them; the mean method draws one pair.
DEFAULT_TOP_K = 32
DEFAULT_MEAN_PAIRS = 1
# Positions whose examination bias unbiased LambdaMART tracks with the mean method (the bias
# falls off quickly with the position, so the tail is not worth tracking).
MAX_BIAS_POSITIONS = 32

_KINDS = {"rank:pairwise": PAIRWISE, "rank:ndcg": NDCG, "rank:map": MAP}


class LambdaRankObjective(Objective):
    """A LambdaMART objective: ``rank:ndcg``, ``rank:map`` or ``rank:pairwise``.

    Parameters
    ----------
    name : {"rank:ndcg", "rank:map", "rank:pairwise"}
        Which change in the metric weighs each pair (NDCG, average precision, none).
    pair_method : {"topk", "mean"}, default="topk"
        ``"topk"``: every pair of differently labelled documents of a query whose better-ranked
        document is in the top ``num_pair_per_sample`` of the model's current ranking.
        ``"mean"``: ``num_pair_per_sample`` documents of another label drawn at random for each
        document, every round (seeded by ``random_state`` and the round number).
    num_pair_per_sample : int, optional
        The k of top-k (default 32) or the pairs per document of the mean method (default 1).
        With top-k it also truncates the ideal DCG that normalizes ``rank:ndcg``.
    normalization : bool, default=True
        Scale each query's gradients: top-k by ``log2(1 + S) / S`` (S the query's summed
        ``2 |lambda|``), mean by ``1 / num_pair_per_sample``.
    score_normalization : bool, default=True
        Divide each pair's metric change by ``|s_i - s_j| + 0.01``, the gap of its scores.
        XGBoost's ``lambdarank_score_normalization``.
    unbiased : bool, default=False
        Estimate the position bias of click data (the row order within a query is the position
        a document was shown at) and divide each pair by the examination chances of its two
        positions (Unbiased LambdaMART, Hu et al., 2019). The estimate is updated every round.
    bias_norm : float, default=1.0
        Lp regularization of the position-bias estimate: the ratios are raised to
        ``1 / (1 + bias_norm)``.
    exp_gain : bool, default=True
        NDCG gain ``2**label - 1`` (integer labels up to 31) instead of ``label``.
    random_state : int, default=0
        Seed of the mean method's pairs.
    """

    is_multiclass = False

    def __init__(
        self,
        name: str,
        pair_method: str = "topk",
        num_pair_per_sample: int | None = None,
        normalization: bool = True,
        score_normalization: bool = True,
        unbiased: bool = False,
        bias_norm: float = 1.0,
        exp_gain: bool = True,
        random_state: int = 0,
    ) -> None:
        super().__init__(n_outputs=1)
        if name not in _KINDS:
            valid = ", ".join(repr(n) for n in _KINDS)
            raise ValueError(f"objective={name!r} is not a ranking objective; valid: {valid}")
        if pair_method not in ("topk", "mean"):
            raise ValueError(
                f"lambdarank_pair_method={pair_method!r} is not valid; valid: 'topk', 'mean'"
            )
        if num_pair_per_sample is None:
            num_pair_per_sample = DEFAULT_TOP_K if pair_method == "topk" else DEFAULT_MEAN_PAIRS
        if int(num_pair_per_sample) < 1:
            raise ValueError(
                f"lambdarank_num_pair_per_sample={num_pair_per_sample!r} must be an integer >= 1"
            )
        if not bias_norm >= 0.0:
            raise ValueError(f"lambdarank_bias_norm={bias_norm!r} must be a number >= 0")
        self.name = name
        self.kind = _KINDS[name]
        self.pair_method = pair_method
        self.num_pair_per_sample = int(num_pair_per_sample)
        self.normalization = bool(normalization)
        self.score_normalization = bool(score_normalization)
        self.unbiased = bool(unbiased)
        self.bias_norm = float(bias_norm)
        self.exp_gain = bool(exp_gain)
        self.random_state = int(random_state)
        metric = "map" if self.kind == MAP else "ndcg"
        top_k = f"@{self.num_pair_per_sample}" if pair_method == "topk" else ""
        self.default_metric = metric + top_k
        self._bound: dict[str, Any] | None = None
        self.rounds = 0
        self.t_plus = np.empty(0, dtype=np.float64)
        self.t_minus = np.empty(0, dtype=np.float64)

    # -- training data ------------------------------------------------------------------------
    def bind(self, data) -> None:
        """Read the query groups and per-query weights; precompute what stays fixed across
        rounds (positions' labels and gains, each query's ideal DCG and label order).

        Raises
        ------
        ValueError
            When the Dataset has no queries, a label is invalid for this objective, or a
            query's rows do not share one weight.
        """
        index = data.query_index()
        if index is None:
            raise ValueError(
                f"objective {self.name!r} needs query groups: pass qid= or group= to the Dataset"
            )
        y = self._checked_labels(data.label)
        weight = query_weights(data.weight, index, "weight")
        n_queries = index.n_queries
        if weight is None:
            weight = np.ones(n_queries, dtype=np.float64)
        # XGBoost scales the query weights to average 1, so weights only redistribute.
        weight = weight * (n_queries / weight.sum())
        sizes = index.sizes()
        query_of_pos = np.repeat(np.arange(n_queries), sizes)
        label_pos = np.ascontiguousarray(y[index.rows])
        gain_pos = np.exp2(label_pos) - 1.0 if self.exp_gain else label_pos.copy()
        # Descending label within each query; lexsort is stable, so equal labels keep row order.
        by_label = np.lexsort((-label_pos, query_of_pos))
        local = np.arange(y.shape[0]) - index.ptr[query_of_pos]
        max_size = int(sizes.max()) if n_queries else 0
        discount = 1.0 / np.log2(np.arange(max_size, dtype=np.float64) + 2.0)
        inv_idcg = np.zeros(n_queries, dtype=np.float64)
        if self.kind == NDCG:
            top = self.num_pair_per_sample if self.pair_method == "topk" else max_size
            ideal = gain_pos[by_label] * np.where(local < top, discount[local], 0.0)
            idcg = np.bincount(query_of_pos, weights=ideal, minlength=n_queries)
            # A query with no relevant document has no ideal DCG; its pairs all have equal
            # labels, so 0 never multiplies a pair.
            inv_idcg = np.divide(1.0, idcg, out=inv_idcg, where=idcg > 0.0)
        self._bound = {
            "n_rows": y.shape[0],
            "labels": y,
            "rows": np.ascontiguousarray(index.rows, dtype=np.int32),
            "ptr": np.ascontiguousarray(index.ptr, dtype=np.int64),
            "label_pos": label_pos,
            "gain_pos": np.ascontiguousarray(gain_pos),
            "inv_idcg": inv_idcg,
            "label_order": np.ascontiguousarray(by_label - index.ptr[query_of_pos], np.int32),
            "discount": discount,
            "query_weight": weight,
            "li_pos": np.zeros(y.shape[0], dtype=np.float64),
            "lj_pos": np.zeros(y.shape[0], dtype=np.float64),
        }
        self.rounds = 0
        if self.unbiased:
            top = self.num_pair_per_sample if self.pair_method == "topk" else None
            n_positions = top if top is not None else min(max_size, MAX_BIAS_POSITIONS)
            self.t_plus = np.ones(n_positions, dtype=np.float64)
            self.t_minus = np.ones(n_positions, dtype=np.float64)

    def _checked_labels(self, y: np.ndarray) -> np.ndarray:
        y = as_labels(y, self.name)
        if self.kind == MAP:
            check_relevance(y, "binary", f"objective {self.name!r}")
        elif self.kind == NDCG and self.exp_gain:
            check_relevance(y, "exp_gain", f"objective {self.name!r}")
        else:
            check_relevance(y, "graded", f"objective {self.name!r}")
        return y

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Require finite relevance labels >= 0: integers up to 31 for ``rank:ndcg`` with the
        exponential gain, 0 or 1 for ``rank:map``."""
        self._checked_labels(y)

    # -- margins ------------------------------------------------------------------------------
    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Return ``[0.0]``: a ranking does not change when every score shifts by a constant."""
        return np.zeros(1, dtype=np.float64)

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Return ``[base_score]``: scores are margins."""
        return np.array([float(base_score)], dtype=np.float64)

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the scores (margins) unchanged, shape (n_rows,)."""
        return margin_rows(margin)[:, 0].copy()

    # -- gradients ----------------------------------------------------------------------------
    def gradient_hessian(
        self,
        y: np.ndarray,
        margin: np.ndarray,
        weight: np.ndarray | None,
        gh_out: np.ndarray,
        n_threads: int = 1,
    ) -> None:
        """Write every row's LambdaMART gradient and hessian; see :class:`Objective`.

        Needs :meth:`bind` first (the query groups). ``weight`` is the bound Dataset's: each
        query's gradients are weighted by its rows' common weight, normalized to mean 1.
        Each call is one boosting round: the mean method draws new pairs and unbiased
        LambdaMART updates its position-bias estimate afterwards.
        """
        bound = self._bound
        if bound is None:
            raise ValueError(
                f"objective {self.name!r} has no query groups: bind(dataset) it to a Dataset "
                "with qid= or group= before computing gradients"
            )
        n = bound["n_rows"]
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},) like the bound Dataset; got {y.shape}")
        if y is not bound["labels"] and not np.array_equal(y, bound["labels"]):
            raise ValueError(
                f"objective {self.name!r} was bound to a Dataset with other labels; bind it to "
                "the Dataset whose labels are passed"
            )
        check_gh_out(gh_out, n, 1)
        seed = np.random.SeedSequence([self.random_state, self.rounds]).generate_state(
            1, dtype=np.uint64
        )[0]
        fill_lambdarank_gradients(
            self.kind,
            MEAN if self.pair_method == "mean" else TOPK,
            self.num_pair_per_sample,
            self.normalization,
            self.score_normalization,
            bound["rows"],
            bound["ptr"],
            bound["label_pos"],
            bound["gain_pos"],
            bound["inv_idcg"],
            bound["label_order"],
            bound["discount"],
            as_margin(margin, n, 1),
            bound["query_weight"],
            seed,
            self.t_plus,
            self.t_minus,
            bound["li_pos"],
            bound["lj_pos"],
            gh_out,
        )
        self.rounds += 1
        if self.unbiased:
            self._update_position_bias()

    def _update_position_bias(self) -> None:
        """Re-estimate the examination ratio of every tracked position from this round's pair
        costs, relative to the first position (eqs. 30-31 of Hu et al.)."""
        bound = self._bound
        n_positions = self.t_plus.shape[0]
        li = sum_by_position(bound["ptr"], bound["li_pos"], n_positions)
        lj = sum_by_position(bound["ptr"], bound["lj_pos"], n_positions)
        power = 1.0 / (1.0 + self.bias_norm)
        if n_positions and li[0] >= 1e-16:
            self.t_plus = (li / li[0]) ** power
        if n_positions and lj[0] >= 1e-16:
            self.t_minus = (lj / lj[0]) ** power


def _builder(name: str) -> Callable[[dict], Objective]:
    def build(params: dict) -> Objective:
        def get(key: str, default: Any) -> Any:
            value = params.get(key)
            return default if value is None else value

        return LambdaRankObjective(
            name,
            pair_method=get("lambdarank_pair_method", "topk"),
            num_pair_per_sample=params.get("lambdarank_num_pair_per_sample"),
            normalization=get("lambdarank_normalization", True),
            score_normalization=get("lambdarank_score_normalization", True),
            unbiased=get("lambdarank_unbiased", False),
            bias_norm=get("lambdarank_bias_norm", 1.0),
            exp_gain=get("ndcg_exp_gain", True),
            random_state=get("random_state", 0),
        )

    return build


# name -> builder(params)
BUILDERS: dict[str, Callable[[dict], Objective]] = {name: _builder(name) for name in _KINDS}
