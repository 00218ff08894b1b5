"""``train_on_cluster`` on a LocalCluster of two worker processes: a worker SIGKILLed in the middle
of training fails the run with one clear line that names it, instead of hanging; one frozen
(SIGSTOP) fails it once the collective timeout passes; a healthy run still returns a booster.
Each test starts its own cluster and checks that every worker process it ever had (the killed
one's replacement too) is gone once the cluster is closed."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xgboost
from distributed import Client, wait
from xgboost import dask as dxgb

from predictor.adapters.dask.collective import Collective, train_on_cluster
from predictor.domain.errors import ConfigurationError
from tests.dask_cluster import two_workers

pytestmark = pytest.mark.integration

BLOCK, BLOCKS = 50_000, 6  # 300,000 rows: four blocks to train on, two to validate
PARAMS = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 8, "eta": 0.05}
# Far longer than the whole test may take: only a failure, never a hang, ends the call early.
JOIN_SECONDS = 120


@pytest.fixture
def client() -> Iterator[Client]:
    with two_workers(quiet=True) as client:
        pids = worker_pids(client)
        yield client
        pids |= worker_pids(client)  # a killed worker's replacement too
    alive = [pid for pid in pids if running(pid)]
    assert not alive, f"worker processes left running: {alive}"


def worker_pids(client: Client) -> set[int]:
    """Both workers' process ids, once both answer: a worker just killed is still listed until
    the scheduler hears of it, and its replacement takes a moment to start."""
    deadline = time.monotonic() + JOIN_SECONDS
    while True:
        answers = client.run(os.getpid, on_error="return")
        pids = {pid for pid in answers.values() if isinstance(pid, int)}
        if len(pids) == len(answers) == 2 or time.monotonic() > deadline:
            return pids
        time.sleep(0.2)


def running(pid: int) -> bool:
    """Whether a process is alive (a zombie, dead but not yet reaped, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def matrices(client: Client) -> tuple[dxgb.DaskDMatrix, dxgb.DaskDMatrix]:
    """A seeded binary target on 20 features, in blocks made on the two workers in turn (so both
    hold data and both train)."""
    workers = sorted(client.scheduler_info()["workers"])
    blocks = [
        client.submit(np.random.default_rng(k).random, (BLOCK, 21), workers=[workers[k % 2]], pure=False)
        for k in range(BLOCKS)
    ]
    table = da.concatenate([da.from_delayed(block, shape=(BLOCK, 21), dtype=float) for block in blocks])
    x = table[:, :20]
    y = (x[:, 0] + x[:, 1] * x[:, 2] + 0.3 * table[:, 20] > 0.9).astype("int8")
    x, y = client.persist([x, y])
    wait([x, y])
    holding = {worker for worker, keys in client.has_what().items() if keys}
    assert len(holding) == 2, "the data must sit on both workers for both to train"
    cut = BLOCK * (BLOCKS - 2)
    dtrain = dxgb.DaskQuantileDMatrix(client, x[:cut], y[:cut])
    dvalid = dxgb.DaskQuantileDMatrix(client, x[cut:], y[cut:], ref=dtrain)
    return dtrain, dvalid


def training_tasks(client: Client) -> dict[str, int]:
    """The workers running xgboost.dask's training task, and each one's process id."""
    busy = [w for w, keys in client.processing().items() if any(str(k).startswith("fn-") for k in keys)]
    pids: dict[str, int] = client.run(os.getpid, workers=busy) if busy else {}
    return pids


def train_and_signal(client: Client, sig: signal.Signals, collective: Collective) -> tuple[str, int, object]:
    """Train in a thread, send ``sig`` to one worker once both run the training task, and wait
    for the call to end: the worker's address and process id, and what the call returned or
    raised."""
    dtrain, dvalid = matrices(client)
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            # Rounds enough to train for minutes: the signal lands well before the end.
            outcome["result"] = train_on_cluster(
                client, PARAMS, dtrain, dvalid, rounds=5000, patience=None, collective=collective
            )
        except Exception as exc:  # noqa: BLE001  # handed to the test thread, asserted there
            outcome["error"] = exc

    trainer = threading.Thread(target=run, daemon=True)
    trainer.start()
    deadline = time.monotonic() + JOIN_SECONDS
    while len(busy := training_tasks(client)) < 2 and trainer.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(busy) == 2, f"training never ran on both workers: {outcome}"
    time.sleep(2)  # into the training task: the matrices' construction or the boosting rounds
    victim, pid = sorted(busy.items())[0]
    os.kill(pid, sig)
    trainer.join(JOIN_SECONDS)
    assert not trainer.is_alive(), "training still waits on the lost worker"
    return victim, pid, outcome.get("error", outcome.get("result"))


def test_a_worker_killed_mid_training_fails_the_run_with_a_clear_error(client: Client) -> None:
    victim, _, error = train_and_signal(client, signal.SIGKILL, Collective())
    assert isinstance(error, ConfigurationError), f"expected the clear error, got {error!r}"
    message = str(error)
    assert message.startswith(f"a Dask worker died during training ({victim}); the run is failed")
    assert "docs/scale.md" in message
    assert "\n" not in message


def test_a_frozen_worker_fails_the_run_after_the_collective_timeout(client: Client) -> None:
    """SIGSTOP: the worker keeps its sockets open and the scheduler keeps it for minutes (its
    time-to-live), so only the collective's timeout ends the wait."""
    _, pid, error = train_and_signal(client, signal.SIGSTOP, Collective(timeout_seconds=10))
    os.kill(pid, signal.SIGKILL)  # a stopped process would hold the cluster's close up
    assert isinstance(error, ConfigurationError), f"expected the clear error, got {error!r}"
    message = str(error)
    assert message.startswith("a Dask worker stopped answering during training")
    assert "collective timeout, 10 s" in message
    assert "\n" not in message


def test_a_healthy_run_still_trains(client: Client) -> None:
    # The tracker on the scheduler's loopback address, not on this host's default route.
    assert Collective().config(client).tracker_host_ip == "127.0.0.1"
    dtrain, dvalid = matrices(client)
    result = train_on_cluster(
        client, PARAMS, dtrain, dvalid, rounds=10, patience=5, collective=Collective(timeout_seconds=60)
    )
    assert isinstance(result["booster"], xgboost.Booster)
    assert len(result["history"]["valid"]["logloss"]) == 10
