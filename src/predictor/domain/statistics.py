"""What fitting the preprocessing reads of each encoded training column: its present values'
count, and (as asked) their median, most frequent value, mean and standard deviation.

``column_statistics`` is the reference, in numpy, on one whole column; the single-process fit
uses it, and a cluster computes the same numbers where its rows are kept
(``ClusterTable.training_statistics``). Only numpy: this module is on the serving path's
import chain (through ``preprocessing``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class WantedStatistics:
    """Which statistics of one column's present values fitting needs. ``spread``: the mean and
    the standard deviation (``ddof=0``)."""

    median: bool = False
    most_frequent: bool = False
    spread: bool = False

    @property
    def any(self) -> bool:
        return self.median or self.most_frequent or self.spread


@dataclass(frozen=True, slots=True)
class ColumnStatistics:
    """One column's statistics over its present values; None where not asked for, or when
    ``present`` is 0. ``most_frequent`` is the smallest of the most frequent values (ties)."""

    present: int
    median: float | None = None
    most_frequent: float | None = None
    mean: float | None = None
    std: float | None = None


def column_statistics(column: npt.NDArray[np.float64], wanted: WantedStatistics) -> ColumnStatistics:
    """The statistics ``wanted`` of a column (NaN: missing) in float64, as numpy computes them on
    its present values in row order."""
    present = column[~np.isnan(column)]
    if not len(present):
        return ColumnStatistics(0)
    most_frequent = None
    if wanted.most_frequent:
        values, counts = np.unique(present, return_counts=True)
        most_frequent = float(values[int(np.argmax(counts))])  # argmax: the first, so the smallest
    return ColumnStatistics(
        present=len(present),
        median=float(np.median(present)) if wanted.median else None,
        most_frequent=most_frequent,
        mean=float(np.mean(present)) if wanted.spread else None,
        std=float(np.std(present)) if wanted.spread else None,
    )
