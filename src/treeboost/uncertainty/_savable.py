"""``save`` and ``load`` of the calibrated and conformal models (the file: persist.py)."""

from __future__ import annotations

from typing import Any


class SavableMixin:
    """Adds :meth:`save` and :meth:`load` to a calibrated or conformal model."""

    # Builds the (lower, upper) quantile-model pair of a CQR ConformalRegressor on loading.
    _pair_type: Any = None

    def save(self, path: Any) -> None:
        """Write this fitted model and the treeboost model(s) it wraps to one JSON file,
        which :meth:`load` reads back (format: docs/uncertainty.md).

        Parameters
        ----------
        path : str or path-like

        Raises
        ------
        TypeError
            When a wrapped model is not a treeboost one (TreeBoostClassifier,
            TreeBoostRegressor, or a Booster as ``treeboost.uncertainty.booster_models``'
            BoosterClassifier / BoosterRegressor): only those carry their trees into the file.
        ValueError
            When the model is not fitted.
        """
        from .persist import save

        save(self, path)

    @classmethod
    def load(cls, path: Any) -> Any:
        """Read a file written by :meth:`save`: a path, or the JSON text.

        Loading runs no code and checks every field: a truncated, edited or newer-version
        file raises a one-line ``ValueError`` naming the field.
        """
        from .persist import load

        return load(path, cls, pair_type=cls._pair_type)
