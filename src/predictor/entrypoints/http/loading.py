"""The ASGI lifespan: start the served model's keeper, its shadow's keeper and worker (if it has
one) and the metrics publisher, stop them at shutdown. What they do is theirs
(``services/serving/keeper.py``, ``shadow.py``, ``telemetry.py``): this module only ties them
to the process's start and end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from fastapi import FastAPI

from predictor.container import Container
from predictor.services.serving.keeper import Backoff

__all__ = ["Backoff", "flush_metrics", "model_loading_lifespan"]


def model_loading_lifespan(container: Container) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that makes the keeper's first look (load) before serving, then runs its
    background task (retries, then refresh on the time-to-live; in on-request mode, requests
    drive those instead). The app starts (and answers liveness) either way; readiness says
    whether a model is loaded. The tasks are cancelled at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        publisher = container.publish_metrics()
        shadows = container.shadows().values()
        async with anyio.create_task_group() as tasks:
            await tasks.start(container.model_keeper().run)
            for shadow in shadows:  # not waited for: the champion serves while its shadow loads
                shadow.start()
                tasks.start_soon(shadow.keeper.run)
            tasks.start_soon(publisher.run)
            yield
            tasks.cancel_scope.cancel()
        for shadow in shadows:
            shadow.stop()
        container.body_decoder().close()
        publisher.flush()  # what the last interval counted

    return lifespan


def flush_metrics(container: Container) -> None:
    """Publish what the request metrics counted since the last flush (nothing when idle)."""
    container.publish_metrics().flush()
