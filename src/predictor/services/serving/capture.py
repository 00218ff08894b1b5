"""Use case: capture a sampled share of the answered requests, without waiting on anything.

``CaptureRequests`` is on the request path: it decides whether a request is sampled, copies
its encoded rows and scores, and offers them to the ``CaptureQueue``; a full queue drops them,
counted. Writing is ``WriteCaptured``'s (``capture_writer.py``), on a thread of its own (or
at the end of a Lambda invocation), so a slow or broken store never slows or fails a request.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from predictor.domain.model import ModelVersion
from predictor.domain.ports import Clock, Counted, EventCounter, Scores
from predictor.domain.schema import Target
from predictor.services.serving.prediction import PredictionResult

log = logging.getLogger(__name__)

QUEUE_FULL = "queue_full"


@dataclass(frozen=True, slots=True)
class CapturedRequest:
    """One answered request, held until it is written: its rows as encoded and its scores."""

    served: str  # the name the model is served as
    version: ModelVersion
    target: Target
    threshold: float
    features: tuple[str, ...]
    matrix: npt.NDArray[np.float64]
    scores: Scores
    request_id: str
    at: datetime

    def __len__(self) -> int:
        return len(self.matrix)


class CaptureQueue:
    """The captured requests not written yet, by served name, ``max_rows`` rows at most in all.

    A served name's requests are due once they hold ``batch_rows`` rows or the first of them has
    waited ``interval_s`` (on ``monotonic``). ``changed`` is notified when a name's first rows
    arrive and when a batch fills, so a writer waiting on it wakes when there is work.
    """

    def __init__(
        self,
        max_rows: int,
        batch_rows: int,
        interval_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_rows, self.batch_rows, self.interval_s = max_rows, batch_rows, interval_s
        self._monotonic = monotonic
        self._held: dict[str, list[CapturedRequest]] = {}
        self._rows: dict[str, int] = {}
        self._since: dict[str, float] = {}
        self._total = 0
        self.changed = threading.Condition()

    @property
    def rows(self) -> int:
        return self._total

    def offer(self, request: CapturedRequest) -> bool:
        """Hold ``request``, unless its rows do not fit; never waits beyond a short lock."""
        with self.changed:
            if self._total + len(request) > self.max_rows:
                return False
            name = request.served
            first = name not in self._held
            if first:
                self._held[name], self._rows[name], self._since[name] = [], 0, self._monotonic()
            self._held[name].append(request)
            self._rows[name] += len(request)
            self._total += len(request)
            if first or self._rows[name] >= self.batch_rows:
                self.changed.notify_all()
        return True

    def take(self, everything: bool = False) -> list[list[CapturedRequest]]:
        """The due groups (or all of them), removed from the queue: one list per served name."""
        with self.changed:
            now = self._monotonic()
            names = [n for n in self._held if everything or self._due(n, now)]
            taken = [self._held.pop(n) for n in names]
            for name in names:
                self._total -= self._rows.pop(name)
                del self._since[name]
        return taken

    def wait_s(self) -> float | None:
        """Seconds until a group is due (0: one is now), None when nothing is held; call it
        holding ``changed``."""
        if not self._held:
            return None
        now = self._monotonic()
        if any(self._due(name, now) for name in self._held):
            return 0.0
        return max(0.0, min(self._since.values()) + self.interval_s - now)

    def _due(self, name: str, now: float) -> bool:
        return self._rows[name] >= self.batch_rows or now - self._since[name] >= self.interval_s


class CaptureRequests:
    """Offer a sampled ``sample_percent`` of the answered requests to ``queue`` (``rng`` decides
    per request); a request that does not fit is dropped and counted on ``counter``."""

    def __init__(
        self,
        queue: CaptureQueue,
        sample_percent: float,
        clock: Clock,
        counter: EventCounter | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._queue = queue
        self._share = sample_percent / 100
        self._clock = clock
        self._counter = counter
        self._rng = rng or random.Random()  # noqa: S311  # sampling, not security
        self._failed = False

    def __call__(self, served: str, result: PredictionResult, request_id: str) -> None:
        """Never raises: a capture that goes wrong is logged once and the answer goes out."""
        if self._share < 1 and self._rng.random() >= self._share:
            return
        try:
            self._offer(served, result, request_id)
        except Exception:  # capture never fails a request
            if not self._failed:
                self._failed = True
                log.exception("a request could not be captured; capture goes on", extra={"model": served})

    def _offer(self, served: str, result: PredictionResult, request_id: str) -> None:
        if result.matrix is None:
            return
        model = result.model
        request = CapturedRequest(
            served=served,
            version=model.version,
            target=result.target,
            threshold=result.threshold,
            features=model.model.manifest.schema.names,
            matrix=np.array(result.matrix, dtype=np.float64),
            scores=np.array(result.scores, copy=True),
            request_id=request_id,
            at=self._clock.now(),
        )
        if not self._queue.offer(request) and self._counter is not None:
            self._counter.count(Counted.CAPTURE_DROPPED_ROWS, len(request), model=served, reason=QUEUE_FULL)
