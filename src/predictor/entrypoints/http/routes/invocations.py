"""MLflow's scoring routes: ``POST /invocations``, ``GET /ping``, ``GET /version``, so that a
client of ``mlflow models serve`` only changes the URL (and sends the API key).

Errors stay RFC 9457 problems; an unsupported content type is a 415 problem.
"""

from __future__ import annotations

from fastapi import Request
from starlette.responses import PlainTextResponse, Response

from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.protocol import answer
from predictor.entrypoints.http.routes.health import KEY_OPTIONAL, ready
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, ApiKeyDep, authenticate
from predictor.services.serving.codecs.mlflow import MlflowCodec

routes = RouteTable(tags=["mlflow scoring protocol"])
CODEC = MlflowCodec()


@routes.post(
    "/invocations",
    direct=True,
    summary="Predict rows sent in MLflow's scoring format (JSON or CSV)",
    response_model="InvocationsResponse",
    responses=problems(400, 401, 413, 415, 429, 500, 503),
    request_body="invocations",
    openapi_extra=KEY_REQUIRED,
)
async def invocations(request: Request) -> Response:
    authenticate(request)
    return await answer(request, CODEC)


@routes.get(
    "/ping",
    head=True,
    summary="Ready: a model is loaded (as /health/ready)",
    response_model="Readiness",
    responses=problems(401, 429, 503),
    openapi_extra=KEY_OPTIONAL,
)
async def ping(request: Request, container: ContainerDep) -> Response:
    return await ready(request, container)


@routes.get(
    "/version",
    summary="The predictor version serving",
    response_class=PlainTextResponse,
    responses=problems(401, 429),
)
async def version(request: Request, key_id: ApiKeyDep) -> Response:
    return PlainTextResponse(request.app.version)
