"""Start-up model loading: try once, then keep retrying in the background until it loads.

Kept apart from the app so a later hot-reload (alias polling) can replace it whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import anyio
import anyio.to_thread
import structlog
from fastapi import FastAPI

from predictor.container import Container
from predictor.domain.errors import PredictorError
from predictor.domain.model import ModelRef


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
    """Loads the configured model (``name@alias`` from settings) into the container's slot."""

    def __init__(self, container: Container, backoff: Backoff) -> None:
        settings = container.settings()
        self.ref = ModelRef(settings.model_name, alias=settings.model_alias)
        self._container = container
        self._backoff = backoff
        self.attempts = 0
        self._log = structlog.get_logger(__name__)

    async def load_once(self) -> bool:
        """One attempt, in a worker thread; True when the model is loaded and checked."""
        self.attempts += 1
        load = self._container.load_model()
        try:
            # Abandoned on shutdown: a registry that hangs must not hold the process up.
            await anyio.to_thread.run_sync(load, self.ref, abandon_on_cancel=True)
        except PredictorError as error:
            self._log.warning(
                "model not loaded; retrying in the background",
                model=str(self.ref),
                attempt=self.attempts,
                error=str(error),
                error_type=type(error).__name__,
            )
            return False
        except Exception:
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


def model_loading_lifespan(
    container: Container, backoff: Backoff
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that loads the model at start-up and retries in the background on failure.

    The app starts (and answers liveness) either way; readiness says whether a model is loaded.
    The retry task is cancelled at shutdown.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loader = ModelLoader(container, backoff)
        async with anyio.create_task_group() as tasks:
            if not await loader.load_once():
                tasks.start_soon(loader.keep_trying)
            yield
            tasks.cancel_scope.cancel()

    return lifespan
