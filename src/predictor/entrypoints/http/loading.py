"""Model loading for the service's lifetime: load at start-up, retry until it loads, then follow
the alias (hot reload) every ``PREDICTOR_RELOAD_INTERVAL_S`` seconds until shutdown.

Loads and refreshes run in worker threads (the registry and the model files are blocking I/O)
and never two at once (the slot's ``changing`` lock, shared with ``POST /v1/models/reload``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial

import anyio
import anyio.to_thread
import structlog
from fastapi import FastAPI

from predictor.container import Container
from predictor.domain.errors import PredictorError


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between attempts: ``initial`` seconds, doubling up to ``maximum``."""

    initial: float = 1.0
    maximum: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * 2, self.maximum)


class ModelLoader:
    """Loads the served model (``name@alias`` from settings, or an exported directory) into the
    container's slot, and then keeps it following its alias."""

    def __init__(self, container: Container, backoff: Backoff) -> None:
        settings = container.settings()
        self.ref = container.model_ref()
        self._model_dir = settings.serving.model_dir
        # An exported directory is one fixed version: there is no alias to follow.
        self.interval = 0.0 if settings.serving.model_dir is not None else settings.serving.reload_interval_s
        self._container = container
        self._backoff = backoff
        self.attempts = 0
        self._log = structlog.get_logger(__name__)

    async def load_once(self) -> bool:
        """One attempt, in a worker thread; True when the model is loaded and checked."""
        self.attempts += 1
        if self._model_dir is not None:
            load = partial(self._container.load_exported(), self._model_dir)
        else:
            load = partial(self._container.load_model(), self.ref)
        try:
            # Abandoned on shutdown: a registry that hangs must not hold the process up.
            await anyio.to_thread.run_sync(load, abandon_on_cancel=True)
        except PredictorError as error:
            self._log.warning(
                "model not loaded; retrying in the background",
                model=str(self.ref),
                attempt=self.attempts,
                error=str(error),
                error_type=type(error).__name__,
            )
            return False
        except Exception:  # noqa: BLE001  # a bug in loading must not stop the retries; logged
            self._log.exception("unexpected error loading the model; retrying", model=str(self.ref))
            return False
        return True

    async def keep_trying(self) -> None:
        """Retry with capped exponential backoff until one attempt succeeds."""
        for delay in self._backoff.delays():
            await anyio.sleep(delay)
            if await self.load_once():
                self._log.info("model loaded after retrying", model=str(self.ref), attempts=self.attempts)
                return

    async def keep_polling(self) -> None:
        """Refresh every ``interval`` seconds (start to start); a slow refresh delays the next one."""
        refresh = partial(self._container.refresh_model(), self.ref)
        while True:
            started = anyio.current_time()
            try:
                await anyio.to_thread.run_sync(refresh, abandon_on_cancel=True)
            except Exception:  # noqa: BLE001  # RefreshModel reports its own failures; a bug: keep polling
                self._log.exception("unexpected error refreshing the model", model=str(self.ref))
            await anyio.sleep(max(0.0, self.interval - (anyio.current_time() - started)))

    async def follow(self, loaded: bool) -> None:
        if not loaded:
            await self.keep_trying()
        if self.interval > 0:
            await self.keep_polling()


def model_loading_lifespan(
    container: Container, backoff: Backoff
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that loads the model at start-up, retries in the background on failure, and
    then follows the alias. The app starts (and answers liveness) either way; readiness says
    whether a model is loaded. The background task is cancelled at shutdown.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = ModelLoader(container, backoff)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(loader.follow, await loader.load_once())
            tasks.start_soon(publish_metrics, container)
            yield
            tasks.cancel_scope.cancel()
        container.body_decoder().close()
        flush_metrics(container)  # what the last interval counted

    return lifespan


def flush_metrics(container: Container) -> None:
    """Publish what the request metrics counted since the last flush (nothing when idle)."""
    batch = container.request_metrics().drain()
    if batch:
        container.adapters.metrics().publish(batch)


async def publish_metrics(container: Container) -> None:
    """Every ``PREDICTOR_METRICS_FLUSH_S`` seconds, publish one batch (0 turns it off)."""
    interval = container.settings().metrics.metrics_flush_s
    if interval <= 0:
        return
    while True:
        await anyio.sleep(interval)
        await anyio.to_thread.run_sync(flush_metrics, container)
