"""Health: liveness (the process answers) and readiness (a model is loaded and checked)."""

from __future__ import annotations

from starlette.responses import Response

from predictor.domain.errors import ModelUnavailable
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.responses import OrjsonResponse, model_info
from predictor.entrypoints.http.routes.table import RouteTable, problems

routes = RouteTable(prefix="/health", tags=["health"])


@routes.get("/live", summary="The process is up", response_model="Liveness")
async def live() -> Response:
    return OrjsonResponse({"status": "alive"})


@routes.get(
    "/ready",
    summary="A model is loaded and passed its smoke prediction",
    response_model="Readiness",
    responses=problems(503),
)
async def ready(container: ContainerDep) -> Response:
    served = container.slot().peek()
    if served is None:
        ref = container.model_ref()
        raise ModelUnavailable(f"no model is loaded yet; the service keeps trying to load {ref}")
    return OrjsonResponse({"status": "ready", "model": model_info(served)})
