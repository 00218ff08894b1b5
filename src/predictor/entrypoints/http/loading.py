"""The ASGI lifespan: start the served models' keepers, the default model's shadow (its keeper and
worker, if it has one), the metrics publisher and the capture writer (when capture is on), stop
them at shutdown. What they do is theirs (``services/serving/keeper.py``, ``shadow.py``,
``telemetry.py``, ``capture_writer.py``): this module only ties them to the process's start and
end, and gives a model added at run time (``POST /v1/models/served``) a task of its own,
cancelled when it is removed (``KeeperTasks``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup
from fastapi import FastAPI

from predictor.container import Container
from predictor.services.serving.keeper import Backoff, ModelKeeper

__all__ = ["Backoff", "KeeperTasks", "flush_metrics", "model_loading_lifespan"]


class KeeperTasks:
    """Each served model's keeper task, in the lifespan's task group, by served name."""

    def __init__(self, tasks: TaskGroup) -> None:
        self._tasks = tasks
        self._scopes: dict[str, anyio.CancelScope] = {}

    async def start(self, keeper: ModelKeeper) -> None:
        """Run ``keeper`` (its first look made before this returns), until ``stop``."""
        await self._tasks.start(self._run, keeper)

    def stop(self, name: str) -> None:
        scope = self._scopes.pop(name, None)
        if scope is not None:
            scope.cancel()

    async def _run(self, keeper: ModelKeeper, *, task_status: anyio.abc.TaskStatus[None]) -> None:
        with anyio.CancelScope() as scope:
            self._scopes[keeper.name] = scope
            await keeper.run(task_status=task_status)


def model_loading_lifespan(container: Container) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that makes every keeper's first look (load) before serving, all at once, then
    runs their background tasks (retries, then refresh on each one's time-to-live; in on-request
    mode, requests drive those instead). The app starts (and answers liveness) either way;
    readiness says which models are loaded. The tasks are cancelled at shutdown; the capture
    writer writes what it holds first."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        publisher = container.publish_metrics()
        shadows = container.shadows().values()
        writer = container.write_captured()
        if writer is not None:
            writer.start()
        async with anyio.create_task_group() as tasks:
            keepers = KeeperTasks(tasks)
            app.state.keeper_tasks = keepers
            # At once: a model whose registry hangs holds up none of the others.
            async with anyio.create_task_group() as starting:
                for keeper in container.served_models().keepers():
                    starting.start_soon(keepers.start, keeper)
            for shadow in shadows:  # not waited for: the champion serves while its shadow loads
                shadow.start()
                tasks.start_soon(shadow.keeper.run)
            tasks.start_soon(publisher.run)
            yield
            tasks.cancel_scope.cancel()
        for shadow in shadows:
            shadow.stop()
        container.body_decoder().close()
        if writer is not None:  # what it holds, within PREDICTOR_CAPTURE_SHUTDOWN_S
            await anyio.to_thread.run_sync(writer.stop)
        publisher.flush()  # what the last interval counted, the capture's last writes among it

    return lifespan


def flush_metrics(container: Container) -> None:
    """Publish what the request metrics counted since the last flush (nothing when idle)."""
    container.publish_metrics().flush()
