"""Keep a served model loaded and following its alias, in any kind of process.

A ``ModelKeeper`` owns one served reference. Its looks: load the model while none serves
(``LoadModel``, retried with capped exponential backoff), else refresh it (``RefreshModel``)
once its time-to-live (``PREDICTOR_RELOAD_INTERVAL_S``) has passed. One state, two drivers:

- ``run()``: a background task, where the process lives on between requests (uvicorn); it
  sleeps until the next look is due;
- ``maybe_refresh()``: called by the serving core at the start of every request, where no task
  runs (AWS Lambda freezes the process between invocations). While nothing is due it is one
  clock comparison; when a look is due, the one request that takes the turn makes it and the
  others go on with the served model.

A look never fails a request: the served model keeps answering through any registry trouble
(``RefreshModel`` alerts it once). Loads and refreshes hold the slot's ``changing`` lock, shared
with ``POST /v1/models/reload``, so two never run at once.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import anyio
import anyio.to_thread
from anyio.abc import TaskStatus

from predictor.domain.errors import PredictorError
from predictor.domain.model import ModelRef
from predictor.services.serving.loading import ModelSlot, ServedModel

log = logging.getLogger(__name__)

# Seconds from an arbitrary start that only moves forward: ``time.monotonic`` or a test's clock.
Monotonic = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between load attempts: ``initial`` seconds, doubling up to ``maximum``."""

    initial: float = 1.0
    maximum: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * 2, self.maximum)


class ModelKeeper:
    """Load ``ref`` into ``slot`` and keep it fresh: ``load`` while nothing serves, ``refresh``
    every ``ttl_s`` seconds after (0: never; an exported directory has no alias to follow).
    ``on_request``: requests drive the looks (``maybe_refresh``), not a background task.
    ``name``: the name it is served as (by default the registered model's)."""

    def __init__(
        self,
        ref: ModelRef,
        slot: ModelSlot,
        load: Callable[[ModelRef], object],
        refresh: Callable[[ModelRef], object],
        *,
        ttl_s: float,
        on_request: bool = False,
        backoff: Backoff | None = None,
        monotonic: Monotonic = time.monotonic,
        name: str | None = None,
    ) -> None:
        self.ref = ref
        self.name = name if name is not None else ref.name
        self.on_request = on_request
        self.slot = slot
        self._load = load
        self._refresh = refresh
        self._ttl = ttl_s if ttl_s > 0 else math.inf
        self._backoff = backoff or Backoff()
        self._delays = self._backoff.delays()
        self._monotonic = monotonic
        self._due = -math.inf  # when the next look is due (monotonic seconds); inf: never
        self._turn = threading.Lock()  # taken without waiting: one caller looks, the others go on
        self.attempts = 0

    @property
    def due_in(self) -> float:
        """Seconds until the next look (0 when due now, inf when none will come)."""
        return max(0.0, self._due - self._monotonic())

    @property
    def due(self) -> bool:
        """Whether the next look is due now."""
        return self._monotonic() >= self._due

    def start(self) -> bool:
        """The first look, made now (blocking): for an init phase, such as the Lambda handler's.
        True when a model serves; on failure the next look retries after a backoff delay."""
        self.look_if_due()
        return self.slot.ready

    def load(self) -> ServedModel:
        """Load now, raising what loading raises: for a channel that serves once (the batch CLI)."""
        started = self._monotonic()
        with self._turn:
            self._load(self.ref)
            self._due = started + self._ttl
        return self.slot.current()

    def look_if_due(self) -> bool:
        """Make the look when it is due and no other caller is making it; True when one was made."""
        if self._monotonic() < self._due or not self._turn.acquire(blocking=False):
            return False
        try:
            if self._monotonic() < self._due:  # another caller made it while this one came
                return False
            self._look()
            return True
        finally:
            self._turn.release()

    async def maybe_refresh(self) -> None:
        """On-request mode: the look, on a worker thread, if due (else one clock comparison)."""
        if self.on_request and self.due:
            await anyio.to_thread.run_sync(self.look_if_due)

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """The first look (``task_status.started()`` after it), then, in background mode, each
        look when due, until cancelled or until nothing is left to follow."""
        await anyio.to_thread.run_sync(self.look_if_due, abandon_on_cancel=True)
        task_status.started()
        while not self.on_request and self._due < math.inf:
            await anyio.sleep(self.due_in)
            # Abandoned on shutdown: a registry that hangs must not hold the process up.
            await anyio.to_thread.run_sync(self.look_if_due, abandon_on_cancel=True)

    def _look(self) -> None:
        started = self._monotonic()
        if self.slot.ready:
            try:
                self._refresh(self.ref)
            except Exception:  # RefreshModel reports its own failures; a bug must not fail a request
                log.exception("unexpected error refreshing the model", extra={"model": str(self.ref)})
            self._due = started + self._ttl
        elif self._attempt():
            self._delays = self._backoff.delays()
            self._due = started + self._ttl
        else:
            self._due = self._monotonic() + next(self._delays)

    def _attempt(self) -> bool:
        self.attempts += 1
        fields = {"model": str(self.ref), "attempt": self.attempts}
        try:
            self._load(self.ref)
        except PredictorError as error:
            log.warning(
                "model not loaded; retrying",
                extra={**fields, "error": str(error), "error_type": type(error).__name__},
            )
            return False
        except Exception:  # a bug in loading must not stop the retries; logged
            log.exception("unexpected error loading the model; retrying", extra=fields)
            return False
        if self.attempts > 1:
            log.info("model loaded after retrying", extra=fields)
        return True
