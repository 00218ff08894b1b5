"""The one way routes reach the container (``request.app.state.container``), set by ``create_app``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from predictor.container import Container


async def get_container(request: Request) -> Container:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a hop that
    # showed on every request under cProfile.
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]
