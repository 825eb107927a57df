"""Plots of models and their outputs, drawn with matplotlib (the ``plot`` extra).

Every function takes ``ax=None`` (a new figure when omitted) and returns the matplotlib Axes.
matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

from .importance import plot_importance
from .intervals import plot_intervals
from .metric import plot_metric
from .reliability import ReliabilityBins, plot_reliability, reliability_bins
from .shap import plot_shap_dependence, plot_shap_summary
from .tree import plot_tree, tree_layout

__all__ = [
    "ReliabilityBins",
    "plot_importance",
    "plot_intervals",
    "plot_metric",
    "plot_reliability",
    "plot_shap_dependence",
    "plot_shap_summary",
    "plot_tree",
    "reliability_bins",
    "tree_layout",
]
