"""Open Inference Protocol (KServe V2) routes, so KServe, Triton and MLServer clients work.

Health routes are open, like ``/health/*`` (and answer HEAD); metadata and inference are on the
keyed router, which needs the API key. The
model name in the path must be the served model's (else 404), and a version, when given, the
version serving now. Errors are problem+json with the message also under ``error``, where
V2 clients read it. Tensors travel as JSON or as binary tensor data (``codecs/v2_binary``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from predictor.container import Container
from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.protocol import answer, check_model_scope
from predictor.entrypoints.http.responses import OrjsonResponse
from predictor.entrypoints.http.routes.documentation import HeadAnsweredRoute, problems, raw_body, status_only
from predictor.entrypoints.http.schemas import (
    V2InferResponse,
    V2Live,
    V2ModelMetadata,
    V2ModelReady,
    V2Ready,
    V2ServerMetadata,
)
from predictor.entrypoints.http.security import API_KEY
from predictor.services.serving.codecs import v2 as v2_codec
from predictor.services.serving.codecs.v2 import V2Codec
from predictor.services.serving.loading import ServedModel

PREFIX = "/v2"
router = APIRouter(tags=["open inference protocol (v2)"])
health = APIRouter(prefix=PREFIX, route_class=HeadAnsweredRoute)
open_ = APIRouter(prefix=PREFIX)  # a model's readiness
keyed = APIRouter(prefix=PREFIX, dependencies=[API_KEY], responses=problems(401, 429))
CODEC = V2Codec()

_MODEL = "/models/{name}"
_VERSIONED = "/models/{name}/versions/{version}"
LIVE = "The process is up"
READY = "A model is loaded and checked"


def _served(container: Container, name: str, version: str | None = None) -> ServedModel:
    return container.serving_core().models.get(name, version)


@health.head("/health/live", **status_only(LIVE))
@health.get("/health/live", summary=LIVE, response_model=V2Live)
async def live() -> Response:
    return OrjsonResponse({"live": True})


@health.head("/health/ready", **status_only(READY, problems(503)))
@health.get("/health/ready", summary=READY, response_model=V2Ready, responses=problems(503))
async def ready(container: ContainerDep) -> Response:
    models = container.served_models()
    if not container.slot().ready:
        raise ModelUnavailable("no model is loaded yet")
    if models.waiting():  # several models: every configured one
        raise ModelUnavailable("not every model is loaded yet")
    return OrjsonResponse({"ready": True})


@keyed.get("", summary="Server metadata", response_model=V2ServerMetadata)
async def server_metadata(request: Request) -> Response:
    return OrjsonResponse(
        {"name": "predictor", "version": request.app.version, "extensions": ["binary_tensor_data"]}
    )


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
@open_.get(
    _MODEL + "/ready",
    summary="The model is loaded",
    response_model=V2ModelReady,
    responses=problems(404, 503),
)
async def model_ready(container: ContainerDep, name: str) -> Response:
    return _model_ready(container, name, None)


@open_.get(
    _VERSIONED + "/ready",
    summary="This version is loaded",
    response_model=V2ModelReady,
    responses=problems(404, 503),
)
async def version_ready(container: ContainerDep, name: str, version: str) -> Response:
    return _model_ready(container, name, version)


@keyed.get(
    _MODEL,
    summary="Model metadata: inputs and outputs",
    response_model=V2ModelMetadata,
    responses=problems(404, 503),
)
async def model_metadata(request: Request, container: ContainerDep, name: str) -> Response:
    check_model_scope(request, name)
    await container.serving_core().models.maybe_refresh(name)  # on request, as inference does
    return OrjsonResponse(v2_codec.model_metadata(_served(container, name)))


@keyed.get(
    _VERSIONED,
    summary="Model metadata of this version",
    response_model=V2ModelMetadata,
    responses=problems(404, 503),
)
async def version_metadata(request: Request, container: ContainerDep, name: str, version: str) -> Response:
    check_model_scope(request, name)
    await container.serving_core().models.maybe_refresh(name)  # on request, as inference does
    return OrjsonResponse(v2_codec.model_metadata(_served(container, name, version)))


_INFER: dict[str, Any] = {
    "description": (
        "Tensors as JSON data, or as binary tensor data (the extension tritonclient uses by "
        "default): a JSON header of `Inference-Header-Content-Length` bytes, then each input's "
        "raw little-endian values, sized by its `parameters.binary_data_size`. Outputs asked for "
        "with `parameters.binary_data` (or the request's `binary_data_output`) come back the "
        "same way, as `application/octet-stream`."
    ),
    "response_model": V2InferResponse,
    "responses": problems(400, 403, 404, 413, 500, 503),
    "openapi_extra": raw_body(json="InferRequest"),
}


@keyed.post(_MODEL + "/infer", summary="Predict tensors", **_INFER)
async def infer(request: Request, name: str) -> Response:
    return await answer(request, CODEC, name)


@keyed.post(_VERSIONED + "/infer", summary="Predict tensors with this version", **_INFER)
async def infer_version(request: Request, name: str, version: str) -> Response:
    return await answer(request, CODEC, name, version)


router.include_router(health)
router.include_router(open_)
router.include_router(keyed)
