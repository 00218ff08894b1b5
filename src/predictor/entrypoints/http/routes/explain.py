"""``POST /v1/explain``: per-row feature contributions (TreeSHAP) and the base value.

Same body as ``/predict`` (``{"instances": [...]}``, no parameters).
"""

from __future__ import annotations

from functools import partial

import orjson
from fastapi import Request
from starlette.responses import Response

from predictor.entrypoints.http.dependencies import container_of
from predictor.entrypoints.http.protocol import call
from predictor.entrypoints.http.responses import model_info
from predictor.entrypoints.http.routes.table import RouteTable, problems
from predictor.entrypoints.http.security import KEY_REQUIRED, authenticate
from predictor.services.serving.codecs.predictor import JSON, parse_instances
from predictor.services.serving.core import MODEL_VERSION_HEADER, decode_body, negotiated

routes = RouteTable(tags=["predict"])


@routes.post(
    "/v1/explain",
    direct=True,
    summary="Explain the served model's prediction for each row: feature contributions to the margin",
    response_model="ExplainResponse",
    responses=problems(400, 401, 413, 415, 429, 500, 503),
    request_body="explain",
    openapi_extra=KEY_REQUIRED,
)
async def explain(request: Request) -> Response:
    authenticate(request)
    container = container_of(request)
    negotiated(request.headers.get("content-type"), (JSON,))
    rows, _ = await decode_body(partial(parse_instances, with_parameters=False), await request.body())
    explanation = await call(container.explain_prediction(), len(rows), rows)
    version = explanation.model.version.version
    request.state.model_version = version
    content = orjson.dumps(
        {
            "explanations": explanation.rows(),
            "model": model_info(explanation.model),
            "request_id": request.state.request_id,
        }
    )
    return Response(content, media_type="application/json", headers={MODEL_VERSION_HEADER: version})
