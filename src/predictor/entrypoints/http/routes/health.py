"""Health: liveness (the process answers) and readiness (a model is loaded and checked; with
several models, every configured one, each listed to a caller with a key).

Both are open, for load balancers, and answer HEAD as well (``HeadAnsweredRoute``). Readiness
names the served model only to a caller that sends an API key (checked like any other: a wrong
one is 401); without one, the status only.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from predictor.container import Container
from predictor.domain.errors import ModelUnavailable
from predictor.entrypoints.http.dependencies import ContainerDep
from predictor.entrypoints.http.responses import OrjsonResponse, model_info
from predictor.entrypoints.http.routes.documentation import (
    KEY_OPTIONAL,
    HeadAnsweredRoute,
    problems,
    status_only,
)
from predictor.entrypoints.http.schemas import Liveness, Readiness
from predictor.entrypoints.http.security import OptionalKeyDep
from predictor.services.serving.auth import ModelScopes
from predictor.services.serving.models import ServedModels

router = APIRouter(prefix="/health", tags=["health"], route_class=HeadAnsweredRoute)

LIVE = "The process is up"
READY = "A model is loaded and passed its smoke prediction"
READY_PROBLEMS = problems(401, 429, 503)


@router.head("/live", **status_only(LIVE))
@router.get("/live", summary=LIVE, response_model=Liveness)
async def live() -> Response:
    return OrjsonResponse({"status": "alive"})


def served_states(models: ServedModels) -> list[dict[str, object]]:
    """Each model served: its name, whether it is loaded (and at which version), whether it is
    the default one and whether readiness waits for it (a configured one)."""
    states: list[dict[str, object]] = []
    for keeper in models.keepers():
        served = keeper.slot.peek()
        states.append(
            {
                "name": keeper.name,
                "ready": served is not None,
                "version": served.version.version if served is not None else None,
                "default": keeper.name == models.default_name,
                "configured": models.configured(keeper.name),
            }
        )
    return states


def _several_ready(models: ServedModels, key_id: str | None, scopes: ModelScopes) -> Response:
    """Ready when every configured model is loaded (one added at run time does not count); a
    key is shown the models it may use only."""
    waiting = models.waiting()
    if waiting:
        count = (
            f"{len(waiting)} of the configured models {'is' if len(waiting) == 1 else 'are'} not loaded yet"
        )
        if key_id is not None:
            count += "; the service keeps trying to load " + ", ".join(
                f"{k.name!r} ({k.ref})" for k in waiting if scopes.allows(key_id, k.name)
            )
        raise ModelUnavailable(count)
    if key_id is None:
        return OrjsonResponse({"status": "ready"})
    default = models.default()
    shown = default is not None and scopes.allows(key_id, models.default_name)
    model = model_info(default) if default is not None and shown else None
    listed = [state for state in served_states(models) if scopes.allows(key_id, str(state["name"]))]
    return OrjsonResponse({"status": "ready", "model": model, "models": listed})


async def answer_ready(container: Container, key_id: str | None) -> Response:
    """Readiness, as ``/health/ready`` and MLflow's ``/ping`` answer it."""
    models = container.served_models()
    if models.several:
        return _several_ready(models, key_id, ModelScopes(container.settings().security.key_scopes))
    served = container.slot().peek()
    if served is None:
        detail = "no model is loaded yet"
        if key_id is not None:
            detail += f"; the service keeps trying to load {container.model_ref()}"
        raise ModelUnavailable(detail)
    if key_id is None:
        return OrjsonResponse({"status": "ready"})
    return OrjsonResponse({"status": "ready", "model": model_info(served)})


@router.head("/ready", **status_only(READY, READY_PROBLEMS), openapi_extra=KEY_OPTIONAL)
@router.get(
    "/ready", summary=READY, response_model=Readiness, responses=READY_PROBLEMS, openapi_extra=KEY_OPTIONAL
)
async def ready(container: ContainerDep, key_id: OptionalKeyDep) -> Response:
    return await answer_ready(container, key_id)
