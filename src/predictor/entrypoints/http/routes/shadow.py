"""A served model's shadow challenger: what it found, per pair of versions (admin key)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from predictor.domain.errors import ModelNotFound
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.responses import OrjsonResponse
from predictor.entrypoints.http.routes.documentation import problems
from predictor.entrypoints.http.security import ADMIN_KEY

router = APIRouter(
    prefix="/v1/models", tags=["models"], dependencies=[ADMIN_KEY], responses=problems(401, 403, 429)
)


class ShadowLatency(BaseModel):
    p50: float | None = Field(description="Milliseconds; null before the first request scored.")
    p99: float | None


class ShadowPair(BaseModel):
    champion_version: str
    shadow_version: str
    since: str = Field(description="When this process first saw the pair (ISO 8601).")
    requests: int = Field(description="Requests the shadow scored and compared.")
    rows: int
    agreement: float | None = Field(description="Share of rows given the same label; null for a regressor.")
    mean_difference: float | None = Field(
        description="Mean over rows of the largest absolute probability difference (a regressor: "
        "of the absolute difference between the values)."
    )
    max_difference: float | None
    latency_ms: ShadowLatency
    errors: int = Field(description="Sampled requests the shadow failed to score.")
    incompatible: int = Field(description="Sampled requests whose rows the shadow cannot read.")


class ShadowReport(BaseModel):
    name: str
    shadow: str = Field(description="The shadow's reference, as configured.")
    shadow_version: str | None = Field(description="The version the shadow serves now; null until loaded.")
    sample_percent: float
    waiting: int = Field(description="Sampled requests waiting for the shadow now.")
    dropped: int = Field(description="Sampled requests dropped (queue full, or no shadow loaded yet).")
    pairs: list[ShadowPair] = Field(description="Oldest first; a new version of either model starts a pair.")


@router.get(
    "/{name}/shadow",
    summary="What the model's shadow challenger found, per pair of versions, in this process (admin key)",
    response_model=ShadowReport,
    responses=problems(404),
)
async def shadow_summary(name: str, container: ContainerDep) -> Response:
    shadow = container.shadows().get(name)
    if shadow is None:
        raise ModelNotFound(f"model {name!r} has no shadow in this service (PREDICTOR_SHADOW_MODEL)")
    return OrjsonResponse(shadow.report())
