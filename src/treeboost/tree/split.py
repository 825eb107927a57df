"""Split and leaf parameters, and their Python-level use of the split kernels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Splits whose gain does not exceed this are noise from float rounding, not structure.
MIN_SPLIT_GAIN = 1e-12


@dataclass(frozen=True)
class SplitParams:
    """Regularisation of split gains and leaf weights (XGBoost's names and meanings)."""

    reg_lambda: float = 1.0
    reg_alpha: float = 0.0
    gamma: float = 0.0
    min_child_weight: float = 1.0
    max_delta_step: float = 0.0
    learning_rate: float = 0.3

    def accepts(self, gain: float) -> bool:
        """A split is made only if its gain beats ``gamma`` (XGBoost's min_split_loss)."""
        return gain > self.gamma and gain > MIN_SPLIT_GAIN


@dataclass(frozen=True)
class GrowthParams:
    """Shape of the tree: growth order, size limits and per-level / per-node column sampling;
    ``grad_quant_levels`` > 0 builds histograms from gradients rounded to that many levels
    (kernels/quantize.py), 0 from the float gradients."""

    grow_policy: str = "depthwise"
    max_depth: int = 6
    max_leaves: int = 0
    colsample_bylevel: float = 1.0
    colsample_bynode: float = 1.0
    grad_quant_levels: int = 0


@dataclass(frozen=True)
class CategoricalParams:
    """How categorical features are split (see kernels/categorical.py)."""

    max_cat_to_onehot: int = 4
    max_cat_threshold: int = 64
    cat_smooth: float = 10.0
    cat_l2: float = 10.0
    min_data_per_group: int = 100


@dataclass(frozen=True)
class TreeConstraints:
    """What a tree may learn beyond the data's say.

    ``monotone``: int8 per feature, +1 / -1 forces predictions to rise / fall with the feature
    (0 free); None when no feature is constrained. ``interaction_sets``: groups of feature
    indices; every root-to-leaf path uses features of one group only (a feature listed in no
    group forms a group of its own); None when unconstrained.
    """

    monotone: np.ndarray | None = None
    interaction_sets: tuple[frozenset[int], ...] | None = None

    def allowed_features(self, features: np.ndarray, path: frozenset[int]) -> np.ndarray:
        """The subset of ``features`` a node whose ancestors split on ``path`` may split on."""
        if self.interaction_sets is None or not path:
            return features
        allowed: set[int] = set()
        for group in self.interaction_sets:
            if path <= group:
                allowed |= group
        if not allowed:
            return features[:0]
        keep = np.fromiter((int(f) in allowed for f in features), dtype=bool, count=len(features))
        return np.ascontiguousarray(features[keep])
