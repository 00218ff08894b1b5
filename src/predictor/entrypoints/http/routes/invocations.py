"""MLflow's scoring routes: ``POST /invocations``, ``GET /ping``, ``GET /version``, so that a
client of ``mlflow models serve`` only changes the URL (and sends the API key).

Errors stay RFC 9457 problems; an unsupported content type is a 415 problem.
"""

from __future__ import annotations

from functools import partial

import orjson
from fastapi import Request
from starlette.responses import PlainTextResponse, Response

from predictor.domain.encoding.inputs import ModelInput
from predictor.domain.options import PredictionOptions
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.middleware import MODEL_VERSION_HEADER
from predictor.entrypoints.http.protocol import CSV, JSON, media_type, parsed_body, predict_rows
from predictor.entrypoints.http.routes.health import KEY_OPTIONAL, ready
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, ApiKeyDep, authenticate
from predictor.services.serving.codecs import mlflow as mlflow_codec

routes = RouteTable(tags=["mlflow scoring protocol"])


def _read(media: str, body: bytes) -> tuple[ModelInput, PredictionOptions]:
    if media == CSV:
        return mlflow_codec.parse_csv(body), PredictionOptions()
    batch, params = mlflow_codec.parse_json(body)
    return batch, PredictionOptions.parse(params, mlflow_codec.PARAMS)


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
    media = media_type(request.headers.get("content-type"), (JSON, CSV))
    batch, options = await parsed_body(request, partial(_read, media))
    result = await predict_rows(request, batch.size, batch, options, mlflow_codec.PARAMS)
    version = result.model.version.version
    request.state.model_version = version
    content = orjson.dumps({"predictions": mlflow_codec.predictions(result)})
    return Response(content, media_type=JSON, headers={MODEL_VERSION_HEADER: version})


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
