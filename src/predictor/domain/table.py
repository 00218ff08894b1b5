"""A tabular data set as the domain sees it: named columns and a target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import DataError

# Read as missing besides the empty field (and pandas' own NA, NaN, null…): UCI's "?".
DEFAULT_NA_VALUES = ("?",)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file: the target column, the CSV delimiter (None: guessed from the first
    lines), whether the first line names the columns, and extra markers of a missing value."""

    target: str | None = None
    delimiter: str | None = None
    header: bool = True
    na_values: tuple[str, ...] = DEFAULT_NA_VALUES


@dataclass(frozen=True)
class Table:
    """Named columns of equal length; ``target`` names the column to predict."""

    name: str
    columns: Mapping[str, Sequence[Any]]
    target: str
    # The data set's own order of class names (e.g. 0 = malignant), when it has one.
    class_order: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.target not in self.columns:
            raise DataError(f"the target column {self.target!r} is not in {self.name!r}")
        lengths = {len(values) for values in self.columns.values()}
        if len(lengths) != 1:
            raise DataError(f"the columns of {self.name!r} have different lengths: {sorted(lengths)}")
        if len(self.columns) < 2:
            raise DataError(f"{self.name!r} has no feature columns besides the target")

    @property
    def rows(self) -> int:
        return len(self.columns[self.target])

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(name for name in self.columns if name != self.target)


@dataclass(frozen=True)
class TableChunk:
    """Consecutive rows of a table file, read for batch scoring.

    ``columns`` holds every feature by name: numpy arrays (NaN: missing) or lists of values in
    ``fmt`` (``JSON``: typed values, ``TEXT``: CSV cells). ``kept`` is the reader's own
    representation of the columns to copy to the output; ``done`` the fraction of the file
    read so far, when known.
    """

    columns: Mapping[str, object]
    fmt: ValueFormat = ValueFormat.JSON
    kept: object = None
    done: float | None = None
