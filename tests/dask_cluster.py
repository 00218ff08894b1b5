"""The two-worker LocalCluster the Dask tests run on: worker processes on 127.0.0.1, the
scheduler's HTTP routes on a free port."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster


@contextmanager
def two_workers(quiet: bool = False) -> Iterator[Client]:
    """A client of a fresh cluster of two one-thread worker processes; ``quiet``: no worker logs."""
    options = {"silence_logs": logging.CRITICAL} if quiet else {}
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0", **options,
        ) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        yield client
