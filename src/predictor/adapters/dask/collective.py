"""``xgboost.dask.train`` that fails with one clear line, never hangs, when a worker is lost.

XGBoost's workers train in lockstep: every tree level ends in an allreduce over all of them,
and a worker that goes away takes the run with it (no resilience in ``xgboost.dask``).

- A worker process that dies (out of memory, SIGKILL) closes its sockets: its peers' allreduce
  fails at once, and Dask logs a ``remove-worker`` event on its scheduler. The error that comes
  back is XGBoost's ("Ring Allreduce failed ..."), or ``xgboost.dask``'s "Invalid worker
  address" when Dask re-ran the dead worker's task elsewhere. Those events name the worker.
- A worker that hangs (frozen, swapping, cut off by the network) closes nothing: its peers wait
  in the allreduce for the communicator's timeout, which XGBoost sets to 30 minutes by
  default, and Dask only drops the worker after ``distributed.scheduler.worker-ttl`` (5 minutes).
  :class:`Collective` gives that timeout a bound of our choosing.

The tracker (it pairs the workers up, inside the scheduler process) binds the scheduler's own
host unless told otherwise. ``xgboost.dask`` alone would bind the address XGBoost guesses for
the host (its default route's interface), not loopback on a LocalCluster. docs/scale.md says
when to set the host and port.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from distributed import Client
from distributed.comm.addressing import get_address_host
from xgboost import dask as dxgb
from xgboost.collective import Config
from xgboost.core import XGBoostError

from predictor.domain.errors import ConfigurationError

GUIDE = "docs/scale.md, memory per worker"


@dataclass(frozen=True, slots=True)
class Collective:
    """How the training workers talk to each other.

    ``timeout_seconds``: how long a worker waits in one collective call (an allreduce at the end
    of a tree level, or the quantile sketch when the training matrix is built) for the slowest
    of its peers. It bounds how long a hung worker holds the run; it must exceed the largest
    gap between workers in one step, which is the matrix build on unevenly sized parts. 300 s:
    a thread builds the matrix of a million rows of 44 features in about 10 s here, so a worker
    holding all of 10 million waits on no peer that long; it matches Dask's own ``worker-ttl``.
    Raise it for more rows per worker.
    ``tracker_host``/``tracker_port``: where the tracker listens, None for the scheduler's host
    and 0 for any free port. ``grace_seconds``: how long a failed run waits for the scheduler
    to report which worker left.
    """

    timeout_seconds: int = 300
    tracker_host: str | None = None
    tracker_port: int = 0
    grace_seconds: float = 5.0

    def config(self, client: Client) -> Config:
        host = self.tracker_host or get_address_host(client.scheduler_info()["address"])
        return Config(timeout=self.timeout_seconds, tracker_host_ip=host, tracker_port=self.tracker_port)


def train_on_cluster(
    client: Client,
    params: dict[str, Any],
    dtrain: dxgb.DaskDMatrix,
    dvalid: dxgb.DaskDMatrix,
    rounds: int,
    patience: int | None,
    collective: Collective | None = None,
) -> dict[str, Any]:
    """``xgboost.dask.train``'s result (``booster``, ``history``); a lost worker or a collective
    that timed out raises :class:`ConfigurationError`."""
    collective = collective or Collective()
    workers = set(client.scheduler_info()["workers"])
    try:
        result: dict[str, Any] = dxgb.train(
            client,
            params,
            dtrain,
            num_boost_round=rounds,
            evals=[(dvalid, "valid")],
            early_stopping_rounds=patience,
            verbose_eval=False,
            coll_cfg=collective.config(client),
        )
    except Exception as exc:
        _raise_if_lost(client, workers, collective, exc)
        raise
    return result


def _raise_if_lost(client: Client, workers: set[str], collective: Collective, exc: Exception) -> None:
    lost = _lost_workers(client, workers, collective.grace_seconds)
    if lost:
        raise ConfigurationError(
            f"a Dask worker died during training ({', '.join(lost)}); the run is failed, as XGBoost "
            f"cannot train on without it: out of memory? ({GUIDE})"
        ) from exc
    if isinstance(exc, XGBoostError) and "timeout" in str(exc).lower():
        raise ConfigurationError(
            f"a Dask worker stopped answering during training (no reply within the collective "
            f"timeout, {collective.timeout_seconds} s); the run is failed: a hung worker, or a "
            f"network cut between workers? ({GUIDE})"
        ) from exc


def _lost_workers(client: Client, workers: set[str], grace_seconds: float) -> list[str]:
    """The training workers the scheduler has removed, waiting up to ``grace_seconds`` for it
    to notice: a dead peer's closed socket can fail the run before its nanny is heard."""
    deadline = time.monotonic() + grace_seconds
    while True:
        events = client.get_events("all")
        lost = sorted(
            {
                str(msg["worker"])
                for _, msg in events
                if isinstance(msg, dict)
                and msg.get("action") == "remove-worker"
                and msg.get("worker") in workers
            }
        )
        if lost or time.monotonic() >= deadline:
            return lost
        time.sleep(0.2)
