"""The served models (several behind one server, docs/models.md), ``/v1/models/served``: the
list, for a client key (the models it may use); adding and removing one at run time, for an
admin key. A change is in
memory only: a restart serves the configured set again."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, Path, Request
from pydantic import ValidationError
from starlette.responses import Response

from predictor.config.served import ModelEntry
from predictor.container import Container
from predictor.domain.errors import FieldError, InvalidInput, InvalidModel, ModelNotFound, PredictorError
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.loading import KeeperTasks
from predictor.entrypoints.http.responses import OrjsonResponse
from predictor.entrypoints.http.routes.documentation import SharedPathRoute, problems
from predictor.entrypoints.http.routes.health import served_states
from predictor.entrypoints.http.security import ADMIN_KEY, API_KEY
from predictor.services.serving.auth import ModelScopes
from predictor.services.serving.keeper import ModelKeeper
from predictor.services.serving.models import ServedModels

PREFIX = "/v1/models"
router = APIRouter(tags=["models"])
keyed = APIRouter(
    prefix=PREFIX, dependencies=[API_KEY], responses=problems(401, 429), route_class=SharedPathRoute
)
admin = APIRouter(
    prefix=PREFIX, dependencies=[ADMIN_KEY], responses=problems(401, 403, 429), route_class=SharedPathRoute
)

_ENTRY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ModelEntry.model_json_schema()}},
    }
}


def _state(container: Container, keeper: ModelKeeper, state: dict[str, object]) -> dict[str, object]:
    models = container.served_models()
    spec = models.spec(keeper.name)
    served = keeper.slot.peek()
    return {
        **state,
        "model": str(spec.source) if spec is not None else str(keeper.ref),
        "reload_interval_s": spec.reload_interval_s if spec is not None else None,
        "origin": served.origin if served is not None else None,
        "resident_bytes": container.footprints().resident_bytes(keeper.name),
    }


@keyed.get("/served", summary="The models served by name: state, version and memory of each")
async def served_models(request: Request, container: ContainerDep) -> Response:
    models = container.served_models()
    scopes: ModelScopes = request.app.state.model_scopes
    key_id = getattr(request.state, "key_id", None)
    listed = [
        _state(container, keeper, state)
        for keeper, state in zip(models.keepers(), served_states(models), strict=True)
        if scopes.allows(key_id, keeper.name)
    ]
    resident = container.footprints().process_bytes()
    return OrjsonResponse(
        {"default": models.default_name, "models": listed, "process_resident_bytes": resident}
    )


def _entry(body: bytes) -> ModelEntry:
    try:
        return ModelEntry.model_validate_json(body or b"null", strict=True)  # JSON: no "30" for 30
    except ValidationError as exc:
        errors = [
            FieldError(
                None,
                ".".join(str(part) for part in e["loc"]) or None,
                str(e["msg"]).removeprefix("Value error, "),
            )
            for e in exc.errors()
        ]
        raise InvalidInput(errors) from None


def _first_load(models: ServedModels, keeper: ModelKeeper) -> bool:
    """Load the model added now: True when it serves, False when it could not load yet (the
    registry unreachable, a version refused: its keeper retries). A model that is not there
    (no such model, alias or version; a directory that is not an export) is removed again:
    ``ModelNotFound``."""
    try:
        keeper.load()
    except (ModelNotFound, InvalidModel) as exc:
        models.remove(keeper.name)
        raise ModelNotFound(f"{keeper.ref} cannot be served as {keeper.name!r}: {exc}") from None
    except PredictorError:
        return False
    except BaseException:
        models.remove(keeper.name)
        raise
    return True


_ADDED = {
    "links": {
        "RemoveModel": {"operationId": "remove_served_model", "parameters": {"model": "$response.body#/name"}}
    }
}


def _keeper_tasks(request: Request) -> KeeperTasks | None:
    """The lifespan's keeper tasks; None without a lifespan (Mangum's is off), where requests
    drive each keeper's load and refresh (on-request mode) and no task is needed."""
    tasks: KeeperTasks | None = getattr(request.app.state, "keeper_tasks", None)
    return tasks


@admin.post(
    "/served",
    summary="Serve one more model, in memory until restart (admin key)",
    status_code=201,
    responses={
        **problems(400, 404, 409),
        201: {"description": "Added and loaded", **_ADDED},
        202: {"description": "Added; not loaded yet, retried in the background", **_ADDED},
    },
    openapi_extra=_ENTRY_BODY,
)
async def add_model(request: Request, container: ContainerDep) -> Response:
    entry = _entry(await request.body())
    spec = entry.spec(container.settings().serving.reload_interval_s)
    models = container.served_models()
    try:
        keeper = await anyio.to_thread.run_sync(models.add, spec)  # an export's record is read from disk
    except InvalidModel as exc:
        raise ModelNotFound(f"{spec.source} cannot be served as {spec.name!r}: {exc}") from None
    # On a worker thread: the other requests go on meanwhile.
    loaded = await anyio.to_thread.run_sync(_first_load, models, keeper)
    tasks = _keeper_tasks(request)
    if tasks is not None:
        await tasks.start(keeper)  # retries (if it did not load), then refresh on its interval
    served = keeper.slot.peek()
    body = {
        "name": spec.name,
        "model": str(spec.source),
        "reload_interval_s": spec.reload_interval_s,
        "loaded": loaded,
        "version": served.version.version if served is not None else None,
    }
    return Response(orjson.dumps(body), status_code=201 if loaded else 202, media_type="application/json")


@admin.delete(
    "/served/{model}",
    summary="Stop serving a model, until restart (admin key)",
    operation_id="remove_served_model",
    responses=problems(404, 409),
)
async def remove_model(
    request: Request, container: ContainerDep, model: Annotated[str, Path(examples=["wine"])]
) -> Response:
    container.served_models().remove(model)
    tasks = _keeper_tasks(request)
    if tasks is not None:
        tasks.stop(model)
    container.footprints().forget(model)
    return OrjsonResponse({"name": model, "removed": True})


router.include_router(keyed)
router.include_router(admin)
