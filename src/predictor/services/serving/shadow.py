"""A shadow challenger: another version that scores a sample of the live requests after the
champion has answered them, and is compared with it (``shadow_summary``).

The request path only offers: ``Shadow.offer`` draws the sample and puts the champion's result
(its scores and the rows as encoded for it) in a bounded queue without waiting; a full queue
drops the request and counts the drop. One worker thread of the shadow's own takes the queue
in order and scores the requests waiting with the shadow, in one call of up to ``BATCH_ROWS``
rows (a model call has a fixed cost besides its rows), at a lower CPU priority than the
requests' threads (Linux). So a shadow that raises, hangs or is slow changes nothing the client
gets and holds up no request: at worst its queue fills and the samples are dropped. The shadow
model is loaded and hot-reloaded by its own ``ModelKeeper`` and ``ModelSlot``, as the champion is.

How rows are read for a shadow of another schema: ``shadow_scoring``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from predictor.domain.encoding.inputs import ModelInput
from predictor.domain.served import ShadowSpec
from predictor.services.serving.keeper import ModelKeeper
from predictor.services.serving.prediction import PredictionResult
from predictor.services.serving.shadow_scoring import ScoreWithShadow, ShadowSample
from predictor.services.serving.shadow_summary import ShadowSummary

log = logging.getLogger(__name__)

# Sampled requests waiting for the shadow; past it they are dropped (and counted).
QUEUE_SIZE = 1000
# One shadow call scores the requests waiting, up to about this many rows: below 256 rows
# XGBoost scores on one thread, so the shadow takes one core at most.
BATCH_ROWS = 255
# After the first request of a call, the worker waits this long for more to join it: fewer,
# bigger calls, each waking the worker (and taking the GIL) once for many requests.
GATHER_S = 0.02
# How often a worker waiting for a request looks whether it was asked to stop.
STOP_POLL_S = 0.5
# The worker thread's nice value (Linux), so that the requests' threads come first for the CPU.
WORKER_NICENESS = 10


class Shadow:
    """The shadow of one served name: ``offer`` answered requests, ``start`` the worker (once),
    ``report`` what it found. Its keeper is run by whoever runs the champion's."""

    def __init__(
        self,
        spec: ShadowSpec,
        keeper: ModelKeeper,
        summary: ShadowSummary,
        queue_size: int = QUEUE_SIZE,
        draw: Callable[[], float] = random.random,
        gather_s: float = GATHER_S,
    ) -> None:
        self.spec = spec
        self.keeper = keeper
        self.summary = summary
        self._queue: queue.Queue[ShadowSample | None] = queue.Queue(maxsize=queue_size)
        self._score = ScoreWithShadow(keeper.slot, summary, str(keeper.ref))
        self._draw = draw
        self._gather_s = gather_s
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def waiting(self) -> int:
        """Sampled requests waiting for the shadow now."""
        return self._queue.qsize()

    def offer(self, result: PredictionResult, rows: ModelInput | None) -> None:
        """On the request path, after the answer is built: never waits, never raises."""
        if result.matrix is None or self._draw() * 100 >= self.spec.sample_percent:
            return
        sample = ShadowSample(result.model, result.scores, result.matrix, rows, result.threshold)
        try:
            self._queue.put_nowait(sample)
        except queue.Full:
            self.summary.dropped()

    def start(self) -> None:
        """Start the worker thread (a daemon: a shadow that hangs never holds the process up)."""
        if self._worker is None:
            self._worker = threading.Thread(
                target=self._work, name=f"shadow-{self.summary.name}", daemon=True
            )
            self._worker.start()

    @property
    def running(self) -> bool:
        """The worker thread is alive."""
        return self._worker is not None and self._worker.is_alive()

    def stop(self) -> None:
        """Ask the worker to stop after the call it is on; waits for nothing."""
        self._stopping.set()  # not lost when the queue is full, as the wake-up below may be
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def report(self) -> dict[str, Any]:
        served = self.keeper.slot.peek()
        return {
            **self.summary.report(),
            "shadow": str(self.keeper.ref),
            "shadow_version": served.version.version if served is not None else None,
            "sample_percent": self.spec.sample_percent,
            "waiting": self.waiting,
        }

    def score(self, samples: Sequence[ShadowSample]) -> None:
        """Score waiting samples with the shadow and record what it found (the worker's step).
        Never raises: a bug here counts the samples as errors, and the worker goes on."""
        try:
            self._score(samples)
        except Exception:  # the worker must outlive any one call; logged and counted
            log.exception("the shadow's worker failed on a call; its requests count as errors")
            served = self.keeper.slot.peek()
            version = served.version.version if served is not None else "none"
            for sample in samples:
                self.summary.failed((sample.champion.version.version, version))

    def _next(self) -> ShadowSample | None:
        """The next sample; None once the shadow is asked to stop."""
        while not self._stopping.is_set():
            with contextlib.suppress(queue.Empty):
                return self._queue.get(timeout=STOP_POLL_S)
        return None

    def _work(self) -> None:
        _lower_priority()
        while (first := self._next()) is not None:
            time.sleep(self._gather_s)  # the requests that come meanwhile join this call
            samples, rows = [first], len(first.matrix)
            while rows < BATCH_ROWS:
                try:
                    sample = self._queue.get_nowait()
                except queue.Empty:
                    break
                if sample is None:
                    self.score(samples)
                    return
                samples.append(sample)
                rows += len(sample.matrix)
            self.score(samples)


def _lower_priority() -> None:
    """The worker gives way to the threads that answer requests: on Linux, a nice value of the
    worker thread's own (a thread is a task there); elsewhere, nothing."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: the worker runs as it is
        log.debug("the shadow's worker keeps the process's priority")
