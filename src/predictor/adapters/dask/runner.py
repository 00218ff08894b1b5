"""Parts of a partitioned table scored on a Dask cluster: a scheduler at an address, or a
``LocalCluster`` sized to this machine, started for the run and closed after it.

The model travels once: ``client.scatter(..., broadcast=True)`` puts a copy on every worker
(a served model pickles as its manifest and booster bytes), and each part's job reads it there.
Each part is one task; a task whose worker dies is run again on another (Dask's own retry,
``distributed.scheduler.allowed-failures``), and its output file only appears when complete,
so a retried part leaves nothing half-written. Dask starts workers with ``OMP_NUM_THREADS=1``;
the local cluster gives its workers as many OpenMP threads as they have task threads, so that
XGBoost uses every core a worker has.
"""

from __future__ import annotations

import glob
import os
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

from distributed import Client

from predictor.adapters.dask.clusters import connect, gather_all
from predictor.adapters.files.locations import is_s3, s3_table_files
from predictor.domain.errors import DataError
from predictor.domain.ports import PartitionRunner

S = TypeVar("S")
R = TypeVar("R")

TABLE_SUFFIXES = frozenset({".parquet", ".pq", ".csv", ".tsv"})


def table_parts(source: str | Path) -> list[str]:
    """The CSV and Parquet files a path, a directory or a glob names, sorted by name, as
    absolute paths: on a real cluster the workers must see them at the same paths."""
    text = os.fspath(source)
    if is_s3(text):
        parts = s3_table_files(text, TABLE_SUFFIXES)
        if not parts:
            raise DataError(f"{text} names no CSV or Parquet file (.csv, .tsv, .parquet, .pq)")
        return parts
    if glob.has_magic(text):
        candidates = [Path(match) for match in glob.glob(text)]
    elif Path(text).is_dir():
        candidates = list(Path(text).iterdir())
    else:
        candidates = [Path(text)]
    # Absolute: a worker's working directory is not the caller's.
    parts = sorted(
        str(p.absolute()) for p in candidates if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES
    )
    if not parts:
        raise DataError(f"{text} names no CSV or Parquet file (.csv, .tsv, .parquet, .pq)")
    return parts


class DaskPartitionRunner(PartitionRunner):
    """One Dask task per part. ``scheduler``: ``tcp://HOST:PORT`` of a running cluster (a plain
    ``dask scheduler``, ``KubeCluster``'s or dask-gateway's); None starts a local cluster of
    ``workers`` processes (default: Dask's split of this machine's cores)."""

    def __init__(
        self, scheduler: str | None = None, workers: int | None = None, connect_seconds: float = 5.0
    ) -> None:
        self._scheduler = scheduler
        self._workers = workers
        self._connect_seconds = connect_seconds

    def parts(self, source: str | Path) -> Sequence[str]:
        return table_parts(source)

    def run(self, job: Callable[[S, int, str], R], shared: S, parts: Sequence[str]) -> list[R]:
        run = uuid.uuid4().hex[:12]
        with self._client() as client:
            model = client.scatter(shared, broadcast=True)
            names = {f"predictor-part-{run}-{index}": part for index, part in enumerate(parts)}
            futures = [
                client.submit(job, model, index, part, key=key, pure=False)
                for index, (key, part) in enumerate(names.items())
            ]
            results: list[R] = gather_all(client, futures, names, "scored")
            return results

    def _client(self) -> AbstractContextManager[Client]:
        return connect(self._scheduler, self._workers, self._connect_seconds)
