"""Use case: predict every row of a partitioned table (files named by a glob or a directory),
one job per part on a ``PartitionRunner`` (a Dask cluster), each part into a Parquet file of its
own, numbered in part order, so that reading the parts in name order gives the rows in input order."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from predictor.domain.options import PredictionOptions
from predictor.domain.ports import PartitionRunner
from predictor.services.serving.batch_scoring import BatchSummary, PredictTable
from predictor.services.serving.loading import ServedModel

log = logging.getLogger(__name__)


def part_name(index: int) -> str:
    """The output file of part ``index`` (from 0): ``part.00000.parquet``."""
    return f"part.{index:05d}.parquet"


@dataclass(frozen=True)
class ScorePart:
    """One part predicted into its own file, on whichever worker runs it: the single-process use
    case on one file, so rows, columns, scores and errors are the same as there."""

    table: PredictTable
    destination: str
    options: PredictionOptions
    chunk_rows: int
    keep: tuple[str, ...]

    def __call__(self, served: ServedModel, index: int, part: str) -> BatchSummary:
        target = f"{self.destination.rstrip('/')}/{part_name(index)}"
        return self.table(served, part, target, self.options, self.chunk_rows, self.keep)


class PredictPartitions:
    """Predict the parts of a partitioned CSV or Parquet table into a directory of Parquet files."""

    def __init__(self, table: PredictTable, runner: PartitionRunner) -> None:
        self._table = table
        self._runner = runner

    def __call__(
        self,
        served: ServedModel,
        source: str | Path,
        destination: str | Path,
        options: PredictionOptions | None = None,
        chunk_rows: int = 50_000,
        keep: Sequence[str] = (),
    ) -> BatchSummary:
        """Raises what ``PredictTable`` raises for the first part that fails (its rows counted
        in that file), ``DataError`` when ``source`` names no table file, and
        ``ConfigurationError`` when the runner cannot reach its workers."""
        target = served.model.manifest.schema.target
        options = self._table.checked_options(target, options, keep)
        parts = self._runner.parts(source)
        job = ScorePart(self._table, os.fspath(destination), options, chunk_rows, tuple(keep))
        summaries = self._runner.run(job, served, parts)
        summary = BatchSummary(
            sum(s.rows for s in summaries),
            sum(s.chunks for s in summaries),
            sum(s.unseen_categories for s in summaries),
        )
        log.info(
            "batch predicted on a cluster",
            extra={"source": str(source), "parts": len(parts), "rows": summary.rows},
        )
        return summary
