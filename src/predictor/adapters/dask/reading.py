"""A partitioned table as a Dask DataFrame, read lazily: ``dask.dataframe.from_map`` over the
single-process dataset reader, one partition per part, in part order.

Each partition is what ``DatasetSource.load`` makes of its part (so a part parses, and fails,
as ``predictor train --data PART`` would on it): its columns hold the reader's own values (text,
floats, None) as Python objects, and ``attrs`` the table's name and target, so that a job gets
back the very ``Table`` the reader made. The parts' columns are only known once they are read,
and the profile pass checks that they agree (naming a part that differs): the frame's ``meta``
is therefore empty, so that ``from_map`` does not read the first part on the client to find out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import dask
import dask.dataframe as dd
import pandas as pd

from predictor.domain.ports import DatasetSource
from predictor.domain.table import ReadOptions, Table

R = TypeVar("R")
A = TypeVar("A")


def table_frame(parts: Sequence[str], datasets: DatasetSource, options: ReadOptions, token: str) -> Any:
    """The parts as a lazy Dask DataFrame (nothing is read until a partition is computed); its
    tasks are keyed ``("predictor-parts-TOKEN-<hash>", index)``."""
    # Dask turns object columns into pyarrow strings by default (when the frame is built): the
    # reader's numbers would become text and its None a pandas NA.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(
            read_part, list(parts), args=(datasets, options), meta=pd.DataFrame(),
            label=f"predictor-parts-{token}", enforce_metadata=False,
        )  # fmt: skip


def read_part(part: str, datasets: DatasetSource, options: ReadOptions) -> pd.DataFrame:
    """One part read by the single-process reader, as a partition."""
    table = datasets.load(part, options)
    frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in table.columns.items()})
    frame.attrs.update(name=table.name, target=table.target, class_order=list(table.class_order))
    return frame


def part_table(frame: pd.DataFrame) -> Table:
    """The ``Table`` a partition was made from."""
    columns = {str(name): frame[name].tolist() for name in frame.columns}
    attrs = frame.attrs
    return Table(attrs["name"], columns, attrs["target"], tuple(attrs["class_order"]))


def on_table(frame: pd.DataFrame, job: Callable[[Table, A], R], given: A) -> R:
    """``job`` on a partition's table (what a task per partition runs)."""
    return job(part_table(frame), given)
