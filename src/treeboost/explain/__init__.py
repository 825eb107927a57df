"""Explaining fitted models: Shapley values, importances and feature selection.

Public functions load their module on first use, so ``tb.explain`` costs nothing until called.
"""

from __future__ import annotations

import importlib

# public name -> module inside this package
_EXPORTS = {
    "shap_values": "shap",
    "shap_interaction_values": "shap",
    "group_attributions": "shap",
    "permutation_importance": "importance",
    "compare_importances": "importance",
    "forward_selection": "selection",
}


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'treeboost.explain' has no attribute {name!r}")


def __dir__():
    return sorted(_EXPORTS)


__all__ = sorted(_EXPORTS)
