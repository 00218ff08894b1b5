"""Health: liveness (the process answers) and readiness (a model is loaded and checked).

Both are open, for load balancers. Readiness names the served model only to a caller that
sends an API key (checked like any other: a wrong one is 401); without one, the status only.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from predictor.domain.errors import ModelUnavailable
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.responses import OrjsonResponse, model_info
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import API_KEY_HEADER, authenticate

routes = RouteTable(prefix="/health", tags=["health"])

# In the OpenAPI document: the key may be sent, or not (``{}``: no requirement).
KEY_OPTIONAL: dict[str, Any] = {"security": [{}, {"ApiKey": []}]}


@routes.get("/live", head=True, summary="The process is up", response_model="Liveness")
async def live() -> Response:
    return OrjsonResponse({"status": "alive"})


@routes.get(
    "/ready",
    head=True,
    summary="A model is loaded and passed its smoke prediction",
    response_model="Readiness",
    responses=problems(401, 429, 503),
    openapi_extra=KEY_OPTIONAL,
)
async def ready(request: Request, container: ContainerDep) -> Response:
    with_details = API_KEY_HEADER in request.headers
    if with_details:
        authenticate(request)
    served = container.slot().peek()
    if served is None:
        detail = "no model is loaded yet"
        if with_details:
            detail += f"; the service keeps trying to load {container.model_ref()}"
        raise ModelUnavailable(detail)
    if not with_details:
        return OrjsonResponse({"status": "ready"})
    return OrjsonResponse({"status": "ready", "model": model_info(served)})
