"""The served model's routes: what is served (``current``) and its versions, for a client key; the
reload, for an admin key."""

from __future__ import annotations

from functools import partial

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response

from predictor.domain.errors import ModelNotFound, ModelRefused, ModelUnavailable
from predictor.domain.model import ModelVersion
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.protocol import check_model_scope
from predictor.entrypoints.http.responses import OrjsonResponse, model_info
from predictor.entrypoints.http.routes.documentation import problems
from predictor.entrypoints.http.schemas import CurrentModel, ModelVersions, ReloadOutcome
from predictor.entrypoints.http.security import ADMIN_KEY, API_KEY
from predictor.services.serving.refresh import RefreshOutcome, RefreshStatus

PREFIX = "/v1/models"
router = APIRouter(tags=["models"])
keyed = APIRouter(prefix=PREFIX, dependencies=[API_KEY], responses=problems(401, 429))
admin = APIRouter(prefix=PREFIX, dependencies=[ADMIN_KEY], responses=problems(401, 403, 429))


@keyed.get(
    "/current",
    summary="The served model: version, feature schema, training metrics",
    response_model=CurrentModel,
    responses=problems(503),
)
async def current_model(request: Request, container: ContainerDep) -> Response:
    check_model_scope(request, None)
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


def _version(version: ModelVersion) -> dict[str, object]:
    return {
        "version": version.version,
        "aliases": list(version.aliases),
        "created_at": version.created_at.isoformat() if version.created_at is not None else None,
        "run_id": version.run_id,
        "description": version.description,
        "metrics": dict(version.metrics),
    }


@keyed.get(
    "",
    summary="The served model's versions and aliases, from the registry",
    response_model=ModelVersions,
    responses=problems(404, 503),
)
async def model_versions(request: Request, container: ContainerDep) -> Response:
    check_model_scope(request, None)
    ref = container.model_ref()
    served = container.slot().peek()
    described = await anyio.to_thread.run_sync(container.describe_model(), ref.name)
    return OrjsonResponse(
        {
            "name": ref.name,
            "alias": ref.alias,
            "serving": served.version.version if served is not None else None,
            "aliases": described.aliases,
            "versions": [_version(v) for v in described.versions],
        }
    )


def _raise_unless_served(outcome: RefreshOutcome) -> None:
    ref, serving = outcome.ref, outcome.serving or "none"
    if outcome.status is RefreshStatus.REFUSED:
        raise ModelRefused(
            f"version {outcome.candidate} of {ref} was refused, version {serving} keeps serving: "
            f"{outcome.reason}"
        )
    if outcome.status is RefreshStatus.UNREACHABLE:
        raise ModelUnavailable(f"{outcome.reason}; version {serving} keeps serving")
    if outcome.status is RefreshStatus.NOT_FOUND:
        raise ModelNotFound(f"{outcome.reason}; version {serving} keeps serving")


@admin.post(
    "/reload",
    summary="Look at the alias now and swap in the version it names, once checked (admin key)",
    response_model=ReloadOutcome,
    responses=problems(404, 409, 503),
)
async def reload_model(container: ContainerDep) -> Response:
    ref = container.model_ref()
    # force: a version refused earlier is fetched and checked again (it may have been fixed).
    outcome = await anyio.to_thread.run_sync(partial(container.refresh_model(), ref, force=True))
    _raise_unless_served(outcome)
    return OrjsonResponse(
        {
            "outcome": outcome.status.value,
            "name": ref.name,
            "alias": ref.alias,
            "version": outcome.serving,
            "previous": outcome.previous,
        }
    )


router.include_router(keyed)
router.include_router(admin)
