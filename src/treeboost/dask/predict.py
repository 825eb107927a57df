""":func:`predict` on a Dask cluster: the model goes to the partitions, the rows stay put."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.booster import Booster


def _predict_block(block: Any, model: Booster, kwargs: dict) -> np.ndarray:
    return model.predict(block, **kwargs)


def _predict_frame(part: Any, model: Booster, kwargs: dict, columns: Any) -> Any:
    import pandas as pd

    out = model.predict(part, **kwargs)
    if out.ndim == 1:
        return pd.Series(out, index=part.index)
    return pd.DataFrame(out, index=part.index, columns=columns)


def predict(
    client: Any,
    model: Booster,
    data: Any,
    output_margin: bool = False,
    pred_leaf: bool = False,
    pred_contribs: bool = False,
    iteration_range: tuple[int, int] | None = None,
) -> Any:
    """Predict every partition of ``data`` where it lives.

    Parameters
    ----------
    client : distributed.Client
    model : Booster
        Any treeboost model (trained here, on Dask, or loaded); the task graph carries it.
    data : dask.array.Array (2-d) or dask.dataframe.DataFrame
    output_margin, pred_leaf, pred_contribs, iteration_range
        As for :meth:`treeboost.Booster.predict`.

    Returns
    -------
    dask array (for array input) or dask Series / DataFrame (for DataFrame input), lazy:
    ``.compute()`` it, or write it out partition by partition.
    """
    import dask.array as da
    import dask.dataframe as dd

    if not isinstance(model, Booster):
        raise TypeError(f"model must be a treeboost Booster, got {type(model).__name__}")
    kwargs = {
        "output_margin": output_margin,
        "pred_leaf": pred_leaf,
        "pred_contribs": pred_contribs,
        "iteration_range": iteration_range,
    }
    # The graph carries the model itself (a scattered future would be released when this
    # function returns, before the lazy result is computed).
    shared = model
    if isinstance(data, da.Array):
        if data.ndim != 2:
            raise ValueError(f"data must be a 2-d dask array, got {data.ndim} dimension(s)")
        data = data.rechunk({1: -1})
        probe = model.predict(np.zeros((1, data.shape[1]), dtype=np.float64), **kwargs)
        trailing = probe.shape[1:]
        chunks = (data.chunks[0], *((size,) for size in trailing))
        if len(trailing) == 0:
            return data.map_blocks(_predict_block, shared, kwargs, dtype=probe.dtype,
                                   drop_axis=1, chunks=chunks[:1])  # fmt: skip
        if len(trailing) == 1:
            return data.map_blocks(_predict_block, shared, kwargs, dtype=probe.dtype,
                                   chunks=chunks)  # fmt: skip
        extra_axes = list(range(2, 1 + len(trailing)))
        return data.map_blocks(_predict_block, shared, kwargs, dtype=probe.dtype,
                               chunks=chunks, new_axis=extra_axes)  # fmt: skip
    if isinstance(data, dd.DataFrame):
        probe = model.predict(data.head(1, npartitions=-1), **kwargs)
        if probe.ndim > 2:
            raise ValueError(
                f"these predictions have {probe.ndim} dimensions, more than a DataFrame holds; "
                "pass data.to_dask_array(lengths=True) to get a dask array"
            )
        if probe.ndim == 1:
            meta = dd.utils.make_meta(("prediction", probe.dtype))
            columns = None
        else:
            import pandas as pd

            columns = list(range(probe.shape[1]))
            meta = pd.DataFrame({c: np.zeros(0, dtype=probe.dtype) for c in columns})
        return data.map_partitions(_predict_frame, shared, kwargs, columns, meta=meta)
    raise TypeError(f"data must be a 2-d dask array or a dask DataFrame, got {type(data).__name__}")
