"""``POST /v1/explain`` (the default model) and ``POST /v1/models/{name}/explain``: per-row
feature contributions (TreeSHAP) and the base value.

Same body as ``/predict`` (``{"instances": [...]}``, no parameters).
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from predictor.container import Container
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.protocol import call, check_model_scope
from predictor.entrypoints.http.responses import model_info
from predictor.entrypoints.http.routes.documentation import problems, raw_body
from predictor.entrypoints.http.schemas import ExplainResponse
from predictor.entrypoints.http.security import API_KEY
from predictor.services.serving.codecs.predictor import JSON, read_explain
from predictor.services.serving.core import MODEL_VERSION_HEADER, negotiated
from predictor.services.serving.explanation import Explanation

router = APIRouter(tags=["predict"], dependencies=[API_KEY], responses=problems(401, 429))


def _answer(explanation: Explanation, request_id: str) -> bytes:
    return orjson.dumps(
        {
            "explanations": explanation.rows(),
            "model": model_info(explanation.model),
            "request_id": request_id,
        }
    )


@router.post(
    "/v1/explain",
    summary="Explain the served model's prediction for each row: feature contributions to the margin",
    response_model=ExplainResponse,
    responses=problems(400, 413, 415, 500, 503),
    openapi_extra=raw_body(json="ExplainRequest"),
)
async def explain(request: Request, container: ContainerDep) -> Response:
    return await _explained(request, container, None)


@router.post(
    "/v1/models/{name}/explain",
    summary="Explain the prediction of the model served as `name` for each row",
    response_model=ExplainResponse,
    responses=problems(400, 403, 404, 413, 415, 500, 503),
    openapi_extra=raw_body(json="ExplainRequest"),
)
async def explain_with(request: Request, container: ContainerDep, name: str) -> Response:
    return await _explained(request, container, name)


async def _explained(request: Request, container: Container, name: str | None) -> Response:
    check_model_scope(request, name)
    negotiated(request.headers.get("content-type"), (JSON,))
    core = container.serving_core()
    await core.models.maybe_refresh(name)  # where no background task looks (Lambda), as predict does
    served = core.models.default() if name is None else core.models.get(name)
    batch = (await core.decode(read_explain, await request.body(), served)).batch
    explanation = await call(container.explain_prediction(), batch.size, batch, served)
    version = explanation.model.version.version
    request.state.model_version = version
    content = await call(_answer, batch.size, explanation, request.state.request_id)
    return Response(content, media_type="application/json", headers={MODEL_VERSION_HEADER: version})
