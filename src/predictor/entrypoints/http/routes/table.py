"""Route declarations that ``create_app`` adds straight to the app.

FastAPI prepares a route (parameter models, validators) when it is declared, and prepares it
again for every router that includes it; an ``APIRouter`` included in the app meant every
route was prepared twice at start-up. A ``RouteTable`` only records the
declarations, with the same arguments as ``APIRouter.get`` / ``post``; ``add_to`` declares them
on the app, once. ``direct=True`` marks a prediction route that ``DirectRoutes`` answers without
FastAPI's routing layer (``direct.py``); ``add_to`` returns those. ``head=True`` on a GET lets
``HEAD`` answer too (load balancers check health with it): FastAPI's routes, unlike
Starlette's, add no ``HEAD`` for a ``GET``.

Documentation is declared apart from serving. Every endpoint returns its own ``Response``, so
``response_model``, ``responses``, ``openapi_extra`` and ``request_body`` only shape the OpenAPI
document; they name models of ``schemas.py`` and request bodies by name
(``response_model="PredictResponse"``, ``problems(400, 503)``, ``request_body="predict"``).
``add_to(app)`` leaves them out: the serving app builds no pydantic model or response field for
them at start-up. ``add_to(app, documentation)`` looks the names up there and declares them, for
the app that renders the document (``openapi.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fastapi import FastAPI
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from predictor.entrypoints.http.direct import checked_direct

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

# Options that only shape the OpenAPI document.
DOCUMENTATION = frozenset({"response_model", "responses", "openapi_extra", "request_body"})
PROBLEM_MODEL = "Problem"
PROBLEM_DESCRIPTION = "A problem (application/problem+json)"


class Documentation(Protocol):
    """Where a documented declaration's names are looked up (``openapi.py`` implements it)."""

    def model(self, name: str) -> Any:
        """The pydantic model named ``name``."""

    def request_body(self, name: str) -> dict[str, Any]:
        """The OpenAPI request body object named ``name``."""


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting the problem bodies a route can answer with."""
    return {status: {"model": PROBLEM_MODEL, "description": PROBLEM_DESCRIPTION} for status in statuses}


def _model(documentation: Documentation, model: Any) -> Any:
    """A model named by a string, looked up in ``documentation``; anything else as it is."""
    return documentation.model(model) if isinstance(model, str) else model


def _documented(options: dict[str, Any], documentation: Documentation) -> dict[str, Any]:
    declared = {k: v for k, v in options.items() if k not in DOCUMENTATION}
    if "response_model" in options:
        declared["response_model"] = _model(documentation, options["response_model"])
    if "responses" in options:
        declared["responses"] = {
            status: {**entry, "model": _model(documentation, entry["model"])} if "model" in entry else entry
            for status, entry in options["responses"].items()
        }
    extra = dict(options.get("openapi_extra", {}))
    if "request_body" in options:
        extra["requestBody"] = documentation.request_body(options["request_body"])
    if extra:
        declared["openapi_extra"] = extra
    return declared


def _status_only(options: dict[str, Any]) -> dict[str, Any]:
    """A GET's documentation for its HEAD: the same statuses, no bodies (``openapi.py`` drops
    the content FastAPI still gives each response)."""
    summary = options.get("summary")
    declared = {
        **{k: v for k, v in options.items() if k not in DOCUMENTATION},
        "summary": f"{summary} (status and headers only)" if summary else None,
        "response_model": None,
        "responses": {
            status: {"description": entry["description"]}
            for status, entry in options.get("responses", {}).items()
        },
    }
    if "openapi_extra" in options:  # its security, say
        declared["openapi_extra"] = options["openapi_extra"]
    return declared


async def _without_body(send: Send, message: Message) -> None:
    if message["type"] == "http.response.body":
        message = {**message, "body": b""}
    await send(message)


class HeadAnsweredRoute(APIRoute):
    """A GET route that answers HEAD as well: the GET's status and headers (its Content-Length
    included, as RFC 9110 allows), without the body. Problems raised by the endpoint are
    rendered inside the route (Starlette's ``wrap_app_handling_exceptions``), so they lose
    their body too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        answer = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["method"] == "HEAD":
                await answer(scope, receive, lambda message: _without_body(send, message))
            else:
                await answer(scope, receive, send)

        self.app = app


@dataclass(frozen=True)
class _Declaration:
    method: str
    path: str
    endpoint: Callable[..., Any]
    direct: bool
    head: bool
    options: dict[str, Any]


@dataclass
class RouteTable:
    prefix: str = ""
    tags: Sequence[str] = ()
    dependencies: Sequence[Depends] = ()
    include_in_schema: bool = True
    _routes: list[_Declaration] = field(default_factory=list)

    def get(self, path: str, *, head: bool = False, **options: Any) -> Callable[[Endpoint], Endpoint]:
        """``head=True``: ``HEAD`` answers too, with the GET's status and headers and no body."""
        return self._record("GET", path, direct=False, head=head, options=options)

    def post(self, path: str, *, direct: bool = False, **options: Any) -> Callable[[Endpoint], Endpoint]:
        """``direct=True``: the endpoint takes the request (and the path's parameters) only and
        checks the API key itself; ``DirectRoutes`` answers it without FastAPI's routing layer."""
        return self._record("POST", path, direct=direct, head=False, options=options)

    def _record(
        self, method: str, path: str, *, direct: bool, head: bool, options: dict[str, Any]
    ) -> Callable[[Endpoint], Endpoint]:
        def record(endpoint: Endpoint) -> Endpoint:
            self._routes.append(_Declaration(method, path, endpoint, direct, head, options))
            return endpoint

        return record

    def add_to(self, app: FastAPI, documentation: Documentation | None = None) -> list[Route]:
        """Declare every route on ``app``; return the direct ones, as declared there. Without
        ``documentation``, without their documentation; with, documented (names looked up
        there), for rendering the document only (no direct routes are returned)."""
        declared = []
        for route in self._routes:
            options = route.options
            if route.direct and (self.dependencies or options.get("dependencies")):
                raise TypeError(f"{route.path}: a direct route runs no FastAPI dependencies")
            if documentation is None:
                bare = {k: v for k, v in options.items() if k not in DOCUMENTATION}
                # None, not left out: FastAPI would otherwise infer a model from the annotation.
                methods = [route.method, "HEAD"] if route.head else [route.method]
                self._declare(app, route, methods, {**bare, "response_model": None})
            else:
                self._declare(app, route, [route.method], _documented(options, documentation))
                if route.head:  # declared apart, so that each method has an operation id of its own
                    self._declare(app, route, ["HEAD"], _status_only(options))
            if route.direct and documentation is None:  # the renderer app answers no request
                added = app.router.routes[-1]
                assert isinstance(added, APIRoute)  # noqa: S101  # add_api_route appends one
                declared.append(checked_direct(added))
        return declared

    def _declare(self, app: FastAPI, route: _Declaration, methods: list[str], chosen: dict[str, Any]) -> None:
        options = route.options
        app.router.add_api_route(
            self.prefix + route.path,
            route.endpoint,
            methods=methods,
            route_class_override=HeadAnsweredRoute if "HEAD" in methods else None,
            **{
                **chosen,
                "tags": [*self.tags, *options.get("tags", ())],
                "dependencies": [*self.dependencies, *options.get("dependencies", ())],
                "include_in_schema": self.include_in_schema and options.get("include_in_schema", True),
            },
        )
