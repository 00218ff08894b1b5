"""The statistics the preprocessing is fitted from, computed on the workers with Dask's own
reductions over the kept training rows (a Dask array, one block per part), and equal to
``column_statistics``'s on the whole column (the manifest is the single-process one).

- **Present values**: ``dask.array.count_nonzero`` per column, a tree reduction.
- **Most frequent**: ``value_counts`` of the column as a Dask Series, a tree reduction of each
  part's counts; the smallest value of the largest count (numpy's tie-break).
- **Median, mean, standard deviation**: ``dask.array.median``, ``Array.mean`` and ``Array.std``
  (``ddof=0``) over the column's present values in one block, on one worker. An exact median
  needs the column's values together; and a mean or a deviation summed block by block rounds
  differently from numpy's pairwise sum over the whole column, which would change the last bits
  of the manifest's scaling. In one block, Dask's reductions are numpy's on the same values in
  the same order. The statistics are computed one column per compute, so one column of
training rows (8 bytes a row) is on a worker at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dask.array as da
import dask.dataframe as dd
import numpy as np
import numpy.typing as npt
from distributed import Client

from predictor.adapters.dask.clusters import gather_all
from predictor.domain.statistics import ColumnStatistics, WantedStatistics


def training_statistics(
    client: Client, rows: Any, wanted: Sequence[WantedStatistics], names: Sequence[str] = ()
) -> list[ColumnStatistics]:
    """``wanted[j]`` of column ``j`` of ``rows`` (a float32 Dask array, NaN: missing), one
    column per compute; ``names[j]``: the feature's name, for a failure's message."""
    values = rows.astype(np.float64)
    counted = client.compute(da.count_nonzero(~da.isnan(values), axis=0))
    present = [int(n) for n in gather_all(client, [counted], {}, "counted the values of the features")[0]]
    found: dict[tuple[int, str], float] = {}
    for j, w in enumerate(wanted):
        if w.any and present[j]:
            arrays, frames = _lazy(values[:, j], present[j], w)
            name = names[j] if j < len(names) else str(j)
            found.update({(j, key): value for key, value in _computed(client, name, arrays, frames).items()})
    return [
        ColumnStatistics(
            present[j], found.get((j, "median")), found.get((j, "most_frequent")),
            found.get((j, "mean")), found.get((j, "std")),
        )
        for j in range(len(wanted))
    ]  # fmt: skip


def _lazy(column: Any, present: int, wanted: WantedStatistics) -> tuple[dict[str, Any], dict[str, Any]]:
    """One column's lazy statistics: Dask arrays, and Dask frames."""
    arrays: dict[str, Any] = {}
    frames: dict[str, Any] = {}
    if wanted.median or wanted.spread:
        together = column.rechunk(-1).map_blocks(_present, chunks=((present,),), dtype=np.float64)
        if wanted.median:
            arrays["median"] = da.median(together, axis=0)
        if wanted.spread:
            arrays["mean"], arrays["std"] = together.mean(), together.std(ddof=0)
    if wanted.most_frequent:
        # split_out=1: the counts reduce as a tree, with no shuffle between the workers
        counts = dd.from_dask_array(column).value_counts(dropna=True, split_out=1)
        frames["most_frequent"] = counts[counts == counts.max()].index.min()
    return arrays, frames


def _present(block: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return block[~np.isnan(block)]


def _computed(client: Client, name: str, *lazy: dict[str, Any]) -> dict[str, float]:
    """One column's lazy statistics' values: Dask arrays and Dask frames sent as separate
    graphs (Dask asks not to mix them in one), computed together."""
    futures = [future for graph in lazy if graph for future in client.compute(list(graph.values()))]
    values = gather_all(client, futures, {}, "computed the statistics of", f"feature {name!r}")
    return {key: float(value) for key, value in zip([k for g in lazy for k in g], values, strict=True)}
