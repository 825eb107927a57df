"""A user-supplied objective: a callable returning gradients and hessians."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .base import Objective, as_margin, check_gh_out, margin_rows


class CustomObjective(Objective):
    """Wrap a callable ``obj(predt, dtrain) -> (grad, hess)`` as an :class:`Objective`.

    As in XGBoost, the callable receives the current margins (not transformed predictions) and
    the training Dataset, and its gradients are used exactly as returned: it must apply sample
    weights itself (``dtrain.weight``) if it wants them.

    Parameters
    ----------
    func : callable
        ``func(predt, dtrain)`` where ``predt`` has shape (n_rows,) for one output and
        (n_rows, n_outputs) otherwise. It returns ``(grad, hess)``, each of shape (n_rows,),
        (n_rows, n_outputs) or (n_rows * n_outputs,) (read row-major).
    n_outputs : int, default=1
        Number of margins per row.

    Attributes
    ----------
    dataset : Dataset or None
        Passed to ``func`` as its second argument; the training loop sets it before boosting.
    """

    name = "custom"
    is_multiclass = False
    default_metric = ""

    def __init__(self, func: Callable[..., Any], n_outputs: int = 1) -> None:
        if not callable(func):
            raise TypeError(f"a custom objective must be callable; got {type(func).__name__}")
        if int(n_outputs) < 1:
            raise ValueError(f"n_outputs must be >= 1; got {n_outputs!r}")
        super().__init__(n_outputs=int(n_outputs))
        self.func = func
        self.is_multiclass = self.n_outputs > 1
        self.dataset: Any = None

    @property
    def func_name(self) -> str:
        """The callable's qualified name, for error messages."""
        return getattr(self.func, "__qualname__", None) or repr(self.func)

    def validate_labels(self, y: np.ndarray, weight: np.ndarray | None) -> None:
        """Accept any label: only the callable knows what it expects."""

    def init_margin(self, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        """Return zeros, shape (n_outputs,): no loss is known to fit a constant to."""
        return np.zeros(self.n_outputs, dtype=np.float64)

    def base_score_to_margin(self, base_score: float) -> np.ndarray:
        """Return ``base_score`` for every output: the link is the identity."""
        return np.full(self.n_outputs, float(base_score), dtype=np.float64)

    def gradient_hessian(
        self,
        y: np.ndarray,
        margin: np.ndarray,
        weight: np.ndarray | None,
        gh_out: np.ndarray,
        n_threads: int = 1,
    ) -> None:
        """Call the user function and copy its gradients and hessians into ``gh_out``.

        ``y`` and ``weight`` are not used (the callable reads them from the Dataset). See
        :class:`Objective` for the other parameters.

        Raises
        ------
        ValueError
            If the callable does not return two arrays of n_rows * n_outputs finite values.
        """
        n = np.shape(y)[0]
        k = self.n_outputs
        check_gh_out(gh_out, n, k)
        margin = as_margin(margin, n, k)
        # A copy, so that a callable modifying its input cannot corrupt the training margins.
        predt = margin[:, 0].copy() if k == 1 else margin.copy()
        result = self.func(predt, self.dataset)
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise ValueError(
                f"custom objective {self.func_name} must return a pair (grad, hess); "
                f"got {type(result).__name__}"
            )
        for slot, (what, values) in enumerate(zip(("grad", "hess"), result, strict=True)):
            gh_out[:, :, slot] = self._as_rows(what, values, n).T

    def _as_rows(self, what: str, values: Any, n: int) -> np.ndarray:
        k = self.n_outputs
        expected = f"({n},)" if k == 1 else f"({n}, {k}) or ({n * k},)"
        arr = np.asarray(values, dtype=np.float64)
        if arr.size != n * k or arr.ndim > 2 or (arr.ndim == 2 and arr.shape != (n, k)):
            raise ValueError(
                f"custom objective {self.func_name} returned {what} of shape {arr.shape}; "
                f"expected {expected}"
            )
        # Checked after rounding to float32 too: a finite float64 above ~3.4e38 becomes inf.
        rows = arr.reshape(n, k).astype(np.float32)
        if not np.all(np.isfinite(rows)):
            raise ValueError(
                f"custom objective {self.func_name} returned non-finite {what} values "
                f"(NaN, inf, or beyond float32 range); expected {expected} finite values"
            )
        return rows

    def transform(self, margin: np.ndarray) -> np.ndarray:
        """Return the margin unchanged: (n_rows,) for one output, else (n_rows, n_outputs)."""
        margin = margin_rows(margin)
        return margin[:, 0].copy() if self.n_outputs == 1 else margin.copy()
