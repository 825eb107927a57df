"""Out-of-fold predictions for validation studies: ``tb.model_selection.oof_predict`` (k-fold)
and ``tb.model_selection.loo_predict`` (leave-one-out). See docs/uncertainty.md."""

from __future__ import annotations

from .uncertainty.cross_val import loo_predict, oof_predict

__all__ = ["loo_predict", "oof_predict"]
