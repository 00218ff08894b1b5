"""Open Inference Protocol (KServe V2) routes, so KServe, Triton and MLServer clients work.

Health routes are open, like ``/health/*``; metadata and inference need the API key. The
model name in the path must be the served model's (else 404), and a version, when given, the
version serving now. Errors are problem+json with the message also under ``error``, where
V2 clients read it. JSON only: the binary tensor extension is refused.
"""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from predictor.container import Container
from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.protocol import answer
from predictor.entrypoints.http.responses import OrjsonResponse
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, ApiKeyDep, authenticate
from predictor.services.serving.codecs import v2 as v2_codec
from predictor.services.serving.codecs.v2 import V2Codec
from predictor.services.serving.loading import ServedModel

routes = RouteTable(prefix="/v2", tags=["open inference protocol (v2)"])
CODEC = V2Codec()

_MODEL = "/models/{name}"
_VERSIONED = "/models/{name}/versions/{version}"


def _served(container: Container, name: str, version: str | None = None) -> ServedModel:
    return container.serving_core().models.get(name, version)


@routes.get("/health/live", head=True, summary="The process is up", response_model="V2Live")
async def live() -> Response:
    return OrjsonResponse({"live": True})


@routes.get(
    "/health/ready",
    head=True,
    summary="A model is loaded and checked",
    response_model="V2Ready",
    responses=problems(503),
)
async def ready(container: ContainerDep) -> Response:
    if not container.slot().ready:
        raise ModelUnavailable("no model is loaded yet")
    return OrjsonResponse({"ready": True})


@routes.get("", summary="Server metadata", response_model="V2ServerMetadata", responses=problems(401, 429))
async def server_metadata(request: Request, key_id: ApiKeyDep) -> Response:
    return OrjsonResponse({"name": "predictor", "version": request.app.version, "extensions": []})


def _model_ready(container: Container, name: str, version: str | None) -> Response:
    # Open, like the health routes: it answers for the name asked about, naming nothing else.
    try:
        _served(container, name, version)
    except ModelNotFound:
        shown = name if version is None else f"{name} version {version}"
        raise ModelNotFound(f"{shown!r} is not served here") from None
    except ModelUnavailable:
        raise ModelUnavailable(f"model {name!r} is not loaded yet") from None
    return OrjsonResponse({"name": name, "ready": True})


# One endpoint per path, so the unversioned routes take no ``version`` query parameter.
@routes.get(
    _MODEL + "/ready",
    summary="The model is loaded",
    response_model="V2ModelReady",
    responses=problems(404, 503),
)
async def model_ready(container: ContainerDep, name: str) -> Response:
    return _model_ready(container, name, None)


@routes.get(
    _VERSIONED + "/ready",
    summary="This version is loaded",
    response_model="V2ModelReady",
    responses=problems(404, 503),
)
async def version_ready(container: ContainerDep, name: str, version: str) -> Response:
    return _model_ready(container, name, version)


@routes.get(
    _MODEL,
    summary="Model metadata: inputs and outputs",
    response_model="V2ModelMetadata",
    responses=problems(401, 404, 429, 503),
)
async def model_metadata(container: ContainerDep, key_id: ApiKeyDep, name: str) -> Response:
    return OrjsonResponse(v2_codec.model_metadata(_served(container, name)))


@routes.get(
    _VERSIONED,
    summary="Model metadata of this version",
    response_model="V2ModelMetadata",
    responses=problems(401, 404, 429, 503),
)
async def version_metadata(container: ContainerDep, key_id: ApiKeyDep, name: str, version: str) -> Response:
    return OrjsonResponse(v2_codec.model_metadata(_served(container, name, version)))


@routes.post(
    _MODEL + "/infer",
    direct=True,
    summary="Predict tensors",
    response_model="V2InferResponse",
    responses=problems(400, 401, 404, 413, 429, 500, 503),
    request_body="infer",
    openapi_extra=KEY_REQUIRED,
)
@routes.post(
    _VERSIONED + "/infer",
    direct=True,
    summary="Predict tensors with this version",
    response_model="V2InferResponse",
    responses=problems(400, 401, 404, 413, 429, 500, 503),
    request_body="infer",
    openapi_extra=KEY_REQUIRED,
)
async def infer(request: Request, name: str, version: str | None = None) -> Response:
    authenticate(request)
    return await answer(request, CODEC, name, version)
