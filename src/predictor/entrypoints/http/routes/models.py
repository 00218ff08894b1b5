"""``GET /v1/models/current``: what is being served, its feature schema and training metrics."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.responses import OrjsonResponse, model_info
from predictor.entrypoints.http.schemas import CurrentModel, problems
from predictor.entrypoints.http.security import ApiKeyDep

router = APIRouter(prefix="/v1/models", tags=["models"])


@router.get(
    "/current",
    summary="The served model: version, feature schema, training metrics",
    response_model=CurrentModel,
    responses=problems(401, 503),
)
async def current_model(container: ContainerDep, key_id: ApiKeyDep) -> Response:
    served = container.slot().current()
    manifest = served.model.manifest
    created_at = served.version.created_at
    return OrjsonResponse(
        {
            **model_info(served),
            "created_at": created_at.isoformat() if created_at is not None else None,
            "origin": served.origin,
            "schema": manifest.schema.as_dict(),
            "metrics": dict(manifest.metrics),
        }
    )
