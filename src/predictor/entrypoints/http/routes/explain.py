"""``POST /v1/explain``: per-row feature contributions (TreeSHAP) and the base value.

Same body as ``/predict`` (``{"instances": [...]}``, no parameters).
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.protocol import call
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
    negotiated(request.headers.get("content-type"), (JSON,))
    core = container.serving_core()
    batch = (await core.decode(read_explain, await request.body(), core.models.default())).batch
    explanation = await call(container.explain_prediction(), batch.size, batch)
    version = explanation.model.version.version
    request.state.model_version = version
    content = await call(_answer, batch.size, explanation, request.state.request_id)
    return Response(content, media_type="application/json", headers={MODEL_VERSION_HEADER: version})
