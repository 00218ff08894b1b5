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
  the same order: one column of training rows (8 bytes a row) on a worker at a time.
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
    client: Client, rows: Any, wanted: Sequence[WantedStatistics]
) -> list[ColumnStatistics]:
    """``wanted[j]`` of column ``j`` of ``rows`` (a float32 Dask array, NaN: missing)."""
    values = rows.astype(np.float64)
    counted = client.compute(da.count_nonzero(~da.isnan(values), axis=0))
    present = [int(n) for n in gather_all(client, [counted], {}, "counted the values of")[0]]
    asked = [j for j, w in enumerate(wanted) if w.any and present[j]]
    arrays: dict[tuple[int, str], Any] = {}
    frames: dict[tuple[int, str], Any] = {}
    for j in asked:
        column = values[:, j]
        if wanted[j].median or wanted[j].spread:
            together = column.rechunk(-1).map_blocks(_present, chunks=((present[j],),), dtype=np.float64)
            if wanted[j].median:
                arrays[j, "median"] = da.median(together, axis=0)
            if wanted[j].spread:
                arrays[j, "mean"], arrays[j, "std"] = together.mean(), together.std(ddof=0)
        if wanted[j].most_frequent:
            counts = dd.from_dask_array(column).value_counts(dropna=True)
            frames[j, "most_frequent"] = counts[counts == counts.max()].index.min()
    found = _computed(client, arrays, frames)
    return [
        ColumnStatistics(
            present[j], found.get((j, "median")), found.get((j, "most_frequent")),
            found.get((j, "mean")), found.get((j, "std")),
        )
        for j in range(len(wanted))
    ]  # fmt: skip


def _present(block: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return block[~np.isnan(block)]


def _computed(client: Client, *lazy: dict[tuple[int, str], Any]) -> dict[tuple[int, str], float]:
    """The lazy statistics' values: Dask arrays and Dask frames sent as separate graphs (Dask
    asks not to mix them in one), computed together."""
    futures = [future for graph in lazy if graph for future in client.compute(list(graph.values()))]
    values = gather_all(client, futures, {}, "computed the statistics of")
    keys = [key for graph in lazy for key in graph]
    return {key: float(value) for key, value in zip(keys, values, strict=True)}
