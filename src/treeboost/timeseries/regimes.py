"""Scores restricted to regimes of the observed value (fog: visibility below 1 km), and skill
against a baseline: the numbers a forecaster reports."""

from __future__ import annotations

from typing import Any

import numpy as np

METRICS = ("rmse", "mse", "mae")


def _vector(name: str, values: Any) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64).ravel()
    if out.size == 0:
        raise ValueError(f"{name} is empty")
    return out


def _score(metric: str, y: np.ndarray, p: np.ndarray) -> float:
    if metric == "mae":
        return float(np.mean(np.abs(p - y)))
    mse = float(np.mean((p - y) ** 2))
    return mse if metric == "mse" else float(np.sqrt(mse))


def skill_score(y_true: Any, y_pred: Any, y_reference: Any, metric: str = "rmse") -> float:
    """``1 - score(y_pred) / score(y_reference)``: 1 is perfect, 0 no better than the reference
    (persistence, climatology), negative worse. Rows where any of the three is NaN are left out."""
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not valid; valid: {', '.join(METRICS)}")
    y, p, r = (_vector(n, v) for n, v in
               (("y_true", y_true), ("y_pred", y_pred), ("y_reference", y_reference)))
    if not y.shape == p.shape == r.shape:
        raise ValueError(f"y_true, y_pred and y_reference have different lengths: "
                         f"{y.shape[0]}, {p.shape[0]}, {r.shape[0]}")
    ok = ~(np.isnan(y) | np.isnan(p) | np.isnan(r))
    if not ok.any():
        raise ValueError("no row has y_true, y_pred and y_reference all present")
    ref = _score(metric, y[ok], r[ok])
    if ref == 0:
        return float("nan")
    return 1.0 - _score(metric, y[ok], p[ok]) / ref


def regime_metrics(y_true: Any, y_pred: Any, thresholds: Any = (), baseline: Any = None,
                   above: bool = False) -> dict[str, dict[str, float]]:
    """RMSE, MAE and bias (mean of prediction minus truth) over all rows and within each regime
    ``y_true < threshold`` (``>=`` with ``above=True``), with the row count, and, given
    ``baseline`` predictions, the baseline's RMSE and the RMSE skill score against it.

    Returns ``{regime: {"n", "rmse", "mae", "bias"[, "baseline_rmse", "skill"]}}`` with regimes
    named ``"all"`` and ``"< 1000"`` (``">= 1000"``). Rows with NaN truth or prediction are left
    out; a regime without rows has NaN scores.
    """
    y, p = _vector("y_true", y_true), _vector("y_pred", y_pred)
    if y.shape != p.shape:
        raise ValueError(f"y_true has {y.shape[0]} values, y_pred {p.shape[0]}")
    b = None if baseline is None else _vector("baseline", baseline)
    if b is not None and b.shape != y.shape:
        raise ValueError(f"baseline has {b.shape[0]} values, y_true {y.shape[0]}")
    levels = [thresholds] if np.isscalar(thresholds) else list(thresholds)
    for t in levels:
        if not isinstance(t, (int, float, np.number)) or isinstance(t, bool) or not np.isfinite(t):
            raise ValueError(f"thresholds entry {t!r} is not a finite number")
    ok = ~(np.isnan(y) | np.isnan(p))
    if b is not None:
        ok &= ~np.isnan(b)
    regimes = {"all": ok}
    for t in levels:
        mask = (y >= t) if above else (y < t)
        regimes[f"{'>=' if above else '<'} {t:g}"] = ok & mask
    out = {}
    for name, mask in regimes.items():
        n = int(mask.sum())
        row = {"n": float(n)}
        if n == 0:
            row.update(rmse=np.nan, mae=np.nan, bias=np.nan)
            if b is not None:
                row.update(baseline_rmse=np.nan, skill=np.nan)
        else:
            row.update(rmse=_score("rmse", y[mask], p[mask]), mae=_score("mae", y[mask], p[mask]),
                       bias=float(np.mean(p[mask] - y[mask])))
            if b is not None:
                ref = _score("rmse", y[mask], b[mask])
                row.update(baseline_rmse=ref,
                           skill=(1.0 - row["rmse"] / ref) if ref > 0 else np.nan)
        out[name] = row
    return out
