"""Route declarations that ``create_app`` adds straight to the app.

FastAPI prepares a route (parameter models, validators) when it is declared, and prepares it
again for every router that includes it; an ``APIRouter`` included in the app meant every
route was prepared twice (~2 ms each here, at start-up). A ``RouteTable`` only records the
declarations, with the same arguments as ``APIRouter.get`` / ``post``; ``add_to`` declares them
on the app, once. ``direct=True`` marks a prediction route that ``DirectRoutes`` answers without
FastAPI's routing layer (``direct.py``); ``add_to`` returns those.

Documentation is declared apart from serving. Every endpoint returns its own ``Response``, so
``response_model``, ``responses``, ``openapi_extra`` and ``request_body`` only shape the OpenAPI
document; they name models of ``schemas.py`` by name (``response_model="PredictResponse"``,
``problems(400, 503)``). ``add_to(app)`` leaves them out: the serving app builds no pydantic
model or response field for them at start-up. ``add_to(app, models=schemas)`` resolves the
names and declares them, for the app that renders the document (``openapi.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette.routing import Route

from predictor.entrypoints.http.direct import checked_direct

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

# Options that only shape the OpenAPI document.
DOCUMENTATION = frozenset({"response_model", "responses", "openapi_extra", "request_body"})
PROBLEM_MODEL = "Problem"


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting the problem bodies a route can answer with."""
    return {
        status: {"model": PROBLEM_MODEL, "description": "A problem (application/problem+json)"}
        for status in statuses
    }


def _model(models: ModuleType, model: Any) -> Any:
    """A model named by a string, looked up in ``models``; anything else as it is."""
    return getattr(models, model) if isinstance(model, str) else model


def _documented(options: dict[str, Any], models: ModuleType) -> dict[str, Any]:
    declared = {k: v for k, v in options.items() if k not in DOCUMENTATION}
    if "response_model" in options:
        declared["response_model"] = _model(models, options["response_model"])
    if "responses" in options:
        declared["responses"] = {
            status: {**entry, "model": _model(models, entry["model"])} if "model" in entry else entry
            for status, entry in options["responses"].items()
        }
    extra = dict(options.get("openapi_extra", {}))
    if "request_body" in options:
        schema = _model(models, options["request_body"]).model_json_schema()
        extra["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if extra:
        declared["openapi_extra"] = extra
    return declared


@dataclass
class RouteTable:
    prefix: str = ""
    tags: Sequence[str] = ()
    dependencies: Sequence[Depends] = ()
    include_in_schema: bool = True
    # (method, path, endpoint, direct, options)
    _routes: list[tuple[str, str, Callable[..., Any], bool, dict[str, Any]]] = field(default_factory=list)

    def get(self, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
        return self._record("GET", path, False, options)

    def post(self, path: str, *, direct: bool = False, **options: Any) -> Callable[[Endpoint], Endpoint]:
        """``direct=True``: the endpoint takes the request (and the path's parameters) only and
        checks the API key itself; ``DirectRoutes`` answers it without FastAPI's routing layer."""
        return self._record("POST", path, direct, options)

    def _record(
        self, method: str, path: str, direct: bool, options: dict[str, Any]
    ) -> Callable[[Endpoint], Endpoint]:
        def record(endpoint: Endpoint) -> Endpoint:
            self._routes.append((method, path, endpoint, direct, options))
            return endpoint

        return record

    def add_to(self, app: FastAPI, models: ModuleType | None = None) -> list[Route]:
        """Declare every route on ``app``; return the direct ones, as declared there. Without
        ``models``, without their documentation; with, documented (names looked up there), for
        rendering the document only (no direct routes are returned)."""
        declared = []
        for method, path, endpoint, is_direct, options in self._routes:
            if is_direct and (self.dependencies or options.get("dependencies")):
                raise TypeError(f"{path}: a direct route runs no FastAPI dependencies")
            if models is None:
                bare = {k: v for k, v in options.items() if k not in DOCUMENTATION}
                # None, not left out: FastAPI would otherwise infer a model from the annotation.
                chosen = {**bare, "response_model": None}
            else:
                chosen = _documented(options, models)
            app.add_api_route(
                self.prefix + path,
                endpoint,
                methods=[method],
                **{
                    **chosen,
                    "tags": [*self.tags, *options.get("tags", ())],
                    "dependencies": [*self.dependencies, *options.get("dependencies", ())],
                    "include_in_schema": self.include_in_schema and options.get("include_in_schema", True),
                },
            )
            if is_direct and models is None:  # the renderer app answers no request
                route = app.router.routes[-1]
                assert isinstance(route, APIRoute)  # noqa: S101  # add_api_route appends one
                declared.append(checked_direct(route))
        return declared
