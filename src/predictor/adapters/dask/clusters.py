"""A Dask client for one run: connected to a running scheduler, or to a ``LocalCluster`` of
worker processes on this machine, started for the run and closed after it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from distributed import Client, Future, LocalCluster, as_completed
from distributed.deploy.utils import nprocesses_nthreads
from distributed.scheduler import KilledWorker

from predictor.domain.errors import ConfigurationError

R = TypeVar("R")


@contextmanager
def connect(
    scheduler: str | None, workers: int | None = None, connect_seconds: float = 5.0
) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (``tcp://HOST:PORT``), or of a local cluster
    of ``workers`` processes (None: Dask's split of this machine's cores)."""
    # distributed logs every worker and comm at INFO; a run's own lines say what matters.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=f"{connect_seconds}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigurationError(
                f"cannot reach the Dask scheduler at {scheduler} "
                f"within {connect_seconds:g} s: is it running, and is the address right?"
            ) from exc
        with client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        yield client


def local_cluster(workers: int | None = None) -> LocalCluster:
    """Worker processes on 127.0.0.1, each with as many OpenMP threads as task threads (Dask
    starts workers with ``OMP_NUM_THREADS=1``), so that XGBoost uses every core a worker has."""
    cores = len(os.sched_getaffinity(0))
    processes, threads = nprocesses_nthreads(cores)
    if workers is not None:
        processes, threads = workers, max(1, cores // workers)
    return LocalCluster(
        n_workers=processes,
        threads_per_worker=threads,
        processes=True,
        host="127.0.0.1",
        # The scheduler's HTTP routes (health, and the dashboard when bokeh is installed) on a
        # free loopback port: a fixed 8787 would clash with another cluster here.
        dashboard_address="127.0.0.1:0",
        # A part that fails is reported once, by the caller, in one line: not as a worker's
        # "Compute Failed" traceback on the terminal.
        silence_logs=logging.CRITICAL,
        env={"OMP_NUM_THREADS": str(threads)},
    )


def gather_all(
    client: Client, futures: Sequence[Future[R]], parts: Mapping[str, str], doing: str, subject: str = ""
) -> list[R]:
    """The futures' results in order. On the first that fails, the rest are cancelled and its
    error raised as it was; a part whose workers kept dying, or a lost scheduler, is a
    ``ConfigurationError`` (``parts``: the part file of each task key, for the message;
    ``subject``: what all the futures compute, named instead when given)."""
    try:
        for future in as_completed(futures):
            if future.status == "error":
                error = future.exception()
                client.cancel(futures)
                raise error
        results: list[R] = client.gather(futures)
    except KilledWorker as exc:
        part = subject or Path(parts.get(str(exc.task), str(exc.task))).name
        raise ConfigurationError(
            f"the Dask workers kept dying while they {doing} {part}: out of memory? "
            "(docs/scale.md, memory per worker)"
        ) from exc
    except OSError as exc:  # distributed's CommClosedError and connect timeouts
        raise ConfigurationError(f"lost the Dask scheduler mid-run: {exc}") from exc
    return results


def task_keys(run: str, step: str, parts: Sequence[str]) -> dict[str, str]:
    """A task key per part (``predictor-STEP-RUN-INDEX``), mapped to its part file."""
    return {f"predictor-{step}-{run}-{index}": part for index, part in enumerate(parts)}


__all__: Sequence[Any] = ["connect", "gather_all", "local_cluster", "task_keys"]
