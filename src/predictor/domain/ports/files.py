"""Table files for batch scoring: read in chunks, predictions written as they come; the parts of
a partitioned table scored where a runner puts them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from predictor.domain.schema import FeatureSchema
from predictor.domain.table import TableChunk

S = TypeVar("S")
R = TypeVar("R")

# One output column per name: labels (strings) or numbers, one value per row of the chunk.
PredictionColumns = Mapping[str, Sequence[str] | npt.NDArray[np.float64]]


class PredictionSink(Protocol):
    """Where batch predictions go, chunk after chunk, in order."""

    def write(self, predictions: PredictionColumns, kept: object) -> None:
        """Append one chunk's predictions, after the chunk's kept columns (``TableChunk.kept``)."""
        ...


class TableReader(Protocol):
    """A request body holding a table (Parquet) -> its columns, for the serving path.

    ``read`` returns every column by name: a numeric one as a float64 numpy array (null: NaN),
    any other as its Python values. Raises ``InvalidInput`` when the body is not such a table,
    and ``MediaTypeUnavailable`` (naming the extra to install) when the reader's package is
    missing. It reads bytes already in memory (the body limit applies before): no I/O.
    """

    def read(self, body: bytes) -> Mapping[str, object]: ...


class TableFiles(Protocol):
    """Table files (CSV, Parquet) read in chunks and written as they come, for batch scoring."""

    def read(
        self, path: str | Path, schema: FeatureSchema, keep: Sequence[str], chunk_rows: int
    ) -> Iterable[TableChunk]:
        """The rows of the file at ``path`` (a local path or a URI such as ``s3://bucket/key``)
        in order, ``chunk_rows`` at a time (the last chunk shorter), with the schema's features
        (numeric ones as numpy arrays when they hold only numbers) and the ``keep`` columns.
        Raises, while iterating, ``InvalidInput`` when a feature or kept column is missing
        from the file (other columns are ignored), ``DataError`` when it is not there
        or cannot be read, ``ConfigurationError`` when its store refuses access and
        ``ModelUnavailable`` when its store cannot be reached."""
        ...

    def write(self, path: str | Path) -> AbstractContextManager[PredictionSink]:
        """A sink writing to ``path`` (a local path or a URI): the file appears there,
        complete, only when the block exits normally; on an error nothing is left behind."""
        ...


class PartitionRunner(Protocol):
    """Where the parts of a partitioned table (files named by a glob or a directory) are
    scored: one job per part, in parallel where the runner can."""

    def parts(self, source: str | Path) -> Sequence[str]:
        """The table files ``source`` names, in name order: the file itself, a directory's
        CSV and Parquet files, or the files a glob (``data/*.parquet``) matches. Raises
        ``DataError`` when it names none."""
        ...

    def run(self, job: Callable[[S, int, str], R], shared: S, parts: Sequence[str]) -> list[R]:
        """``job(shared, index, part)`` for every part, the results in part order; ``shared``
        (and ``job``) must pickle, and travel to each worker once. A job interrupted by a
        lost worker runs again. The first job to raise stops the run and its error is raised
        as it was; ``ConfigurationError`` when the runner cannot start or reach its workers."""
        ...
