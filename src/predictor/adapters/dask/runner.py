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
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from distributed import Client, Future, LocalCluster, as_completed
from distributed.deploy.utils import nprocesses_nthreads
from distributed.scheduler import KilledWorker

from predictor.domain.errors import ConfigurationError, DataError
from predictor.domain.ports import PartitionRunner

S = TypeVar("S")
R = TypeVar("R")

TABLE_SUFFIXES = frozenset({".parquet", ".pq", ".csv", ".tsv"})


def table_parts(source: str | Path) -> list[str]:
    """The CSV and Parquet files a path, a directory or a glob names, sorted by name, as
    absolute paths: on a real cluster the workers must see them at the same paths."""
    text = os.fspath(source)
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
            try:
                _raise_first_error(client, futures)
                results: list[R] = client.gather(futures)
            except KilledWorker as exc:
                raise ConfigurationError(
                    f"the Dask workers kept dying while they scored "
                    f"{Path(names.get(str(exc.task), str(exc.task))).name}: out of memory? "
                    "(docs/scale.md, memory per worker)"
                ) from exc
            except OSError as exc:  # distributed's CommClosedError and connect timeouts
                raise ConfigurationError(f"lost the Dask scheduler mid-run: {exc}") from exc
            return results

    @contextmanager
    def _client(self) -> Iterator[Client]:
        # distributed logs every worker and comm at INFO; this run's own lines say what matters.
        logging.getLogger("distributed").setLevel(logging.WARNING)
        if self._scheduler is not None:
            try:
                client = Client(self._scheduler, timeout=f"{self._connect_seconds}s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise ConfigurationError(
                    f"cannot reach the Dask scheduler at {self._scheduler} "
                    f"within {self._connect_seconds:g} s: is it running, and is the address right?"
                ) from exc
            with client:
                yield client
            return
        with self._local_cluster() as cluster, Client(cluster) as client:
            yield client

    def _local_cluster(self) -> LocalCluster:
        cores = len(os.sched_getaffinity(0))
        workers, threads = nprocesses_nthreads(cores)
        if self._workers is not None:
            workers, threads = self._workers, max(1, cores // self._workers)
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            # The scheduler's HTTP routes (health, and the dashboard when bokeh is installed)
            # on a free loopback port: a fixed 8787 would clash with another cluster here.
            dashboard_address="127.0.0.1:0",
            # A part that fails is reported once, by the caller, in one line: not as a worker's
            # "Compute Failed" traceback on the terminal.
            silence_logs=logging.CRITICAL,
            env={"OMP_NUM_THREADS": str(threads)},
        )


def _raise_first_error(client: Client, futures: Sequence[Future[R]]) -> None:
    """Wait for every part; on the first that fails, cancel the rest and raise its error."""
    for future in as_completed(futures):
        if future.status == "error":
            error = future.exception()
            client.cancel(futures)
            raise error
