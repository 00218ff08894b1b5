"""MLflow's scoring routes: ``POST /invocations`` (the default model; ``/invocations/{name}``
another one, as mlflow#12589 asks), ``GET /ping``, ``GET /version``, so that a
client of ``mlflow models serve`` only changes the URL (and sends the API key).

``/ping``, ``/health`` and ``/version`` are open, as in ``mlflow models serve``; ``/invocations``
needs a key, which MLflow's own client can send in its URL (``http://any:KEY@host``, see
``credentials.py``). Errors stay RFC 9457
problems; an unsupported content type is a 415 problem.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.protocol import answer
from predictor.entrypoints.http.routes.documentation import (
    KEY_OPTIONAL,
    HeadAnsweredRoute,
    problems,
    raw_body,
    status_only,
)
from predictor.entrypoints.http.routes.health import READY_PROBLEMS, answer_ready
from predictor.entrypoints.http.schemas import InvocationsResponse, Readiness
from predictor.entrypoints.http.security import API_KEY, OptionalKeyDep

router = APIRouter(tags=["mlflow scoring protocol"], route_class=HeadAnsweredRoute)
keyed = APIRouter(dependencies=[API_KEY], responses=problems(401, 429))

PING = "Ready: a model is loaded (as /health/ready)"
HEALTH = "Ready: a model is loaded (MLflow's second name for /ping)"


@keyed.post(
    "/invocations",
    summary="Predict rows sent in MLflow's scoring format (JSON, CSV or Parquet)",
    response_model=InvocationsResponse,
    responses=problems(400, 413, 415, 500, 503),
    openapi_extra=raw_body(json="InvocationsRequest", csv="InvocationsCsvRequest"),
)
async def invocations(request: Request, container: ContainerDep) -> Response:
    return await answer(request, container.mlflow_codec())


@keyed.post(
    "/invocations/{name}",
    summary="Predict rows sent in MLflow's scoring format with the model served as `name`",
    response_model=InvocationsResponse,
    responses=problems(400, 403, 404, 413, 415, 500, 503),
    openapi_extra=raw_body(json="InvocationsRequest", csv="InvocationsCsvRequest"),
)
async def invocations_with(request: Request, container: ContainerDep, name: str) -> Response:
    return await answer(request, container.mlflow_codec(), name)


@router.head("/ping", **status_only(PING, READY_PROBLEMS), openapi_extra=KEY_OPTIONAL)
@router.get(
    "/ping", summary=PING, response_model=Readiness, responses=READY_PROBLEMS, openapi_extra=KEY_OPTIONAL
)
async def ping(container: ContainerDep, key_id: OptionalKeyDep) -> Response:
    return await answer_ready(container, key_id)


@router.head("/health", **status_only(HEALTH, READY_PROBLEMS), openapi_extra=KEY_OPTIONAL)
@router.get(
    "/health", summary=HEALTH, response_model=Readiness, responses=READY_PROBLEMS, openapi_extra=KEY_OPTIONAL
)
async def health(container: ContainerDep, key_id: OptionalKeyDep) -> Response:
    return await answer_ready(container, key_id)


@router.get(
    "/version", summary="The predictor version serving (open, as MLflow's)", response_class=PlainTextResponse
)
async def version(request: Request) -> Response:
    return PlainTextResponse(request.app.version)


router.include_router(keyed)
