"""The ASGI lifespan: start the served model's keeper, the metrics publisher and the capture
writer (when capture is on), stop them at shutdown. What they do is theirs
(``services/serving/keeper.py``, ``telemetry.py``, ``capture_writer.py``): this module only ties
them to the process's start and end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
import anyio.to_thread
from fastapi import FastAPI

from predictor.container import Container
from predictor.services.serving.keeper import Backoff

__all__ = ["Backoff", "flush_metrics", "model_loading_lifespan"]


def model_loading_lifespan(container: Container) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that makes the keeper's first look (load) before serving, then runs its
    background task (retries, then refresh on the time-to-live; in on-request mode, requests
    drive those instead). The app starts (and answers liveness) either way; readiness says
    whether a model is loaded. The tasks are cancelled at shutdown; the capture writer writes
    what it holds first."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        publisher = container.publish_metrics()
        writer = container.write_captured()
        if writer is not None:
            writer.start()
        async with anyio.create_task_group() as tasks:
            await tasks.start(container.model_keeper().run)
            tasks.start_soon(publisher.run)
            yield
            tasks.cancel_scope.cancel()
        container.body_decoder().close()
        if writer is not None:  # what it holds, within PREDICTOR_CAPTURE_SHUTDOWN_S
            await anyio.to_thread.run_sync(writer.stop)
        publisher.flush()  # what the last interval counted, the capture's last writes among it

    return lifespan


def flush_metrics(container: Container) -> None:
    """Publish what the request metrics counted since the last flush (nothing when idle)."""
    container.publish_metrics().flush()
