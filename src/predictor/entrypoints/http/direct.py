"""The prediction routes, answered without FastAPI's routing and dependency layers.

A one-row prediction spends most of its time outside the model: in FastAPI's per-request
telemetry check, Starlette's error and exception middleware, the router trying each route's
pattern, FastAPI's dependency solving for the ``Request`` argument and its endpoint wrapper
(a quarter of a one-row ``/predict`` in process, docs/performance.md). The routes declared with
``direct=True`` take the request only (and their path parameters) and check the API key in
their own body, so nothing of that layer is needed: ``DirectRoutes`` calls their endpoint
straight from the middleware stack, inside the request-id, CORS, body-limit and catch-all
layers, and answers domain and HTTP errors from the same error table.

The routes stay declared on the app as well: the OpenAPI document, 405 for another method and
the trailing-slash redirect come from there. Only an exact method and path match is answered
here; everything else goes on to FastAPI.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from predictor.domain.errors import PredictorError
from predictor.entrypoints.http.errors import domain_error_response, http_error_response


def checked_direct(route: Route) -> Route:
    """``route``, once it is clear ``DirectRoutes`` can call its endpoint as FastAPI would: the
    request first, then the path's parameters by name."""
    parameters = list(inspect.signature(route.endpoint).parameters)
    if not parameters or parameters[0] != "request":
        raise TypeError(f"a direct route's endpoint takes the request first: {route.path}")
    missing = set(route.param_convertors) - set(parameters)
    if missing:
        raise TypeError(f"{route.path}: the endpoint takes no parameter {sorted(missing)}")
    return route


class DirectRoutes:
    """ASGI middleware: answers the direct routes (as declared on the app), passes every other
    request on."""

    def __init__(self, app: ASGIApp, routes: Sequence[Route]) -> None:
        self.app = app
        self._fixed = {
            (method, route.path): route
            for route in routes
            if not route.param_convertors
            for method in route.methods or ()
        }
        self._templated = [route for route in routes if route.param_convertors]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self._match(scope)
            if found is not None:
                route, parameters = found
                await self._answer(route, parameters, scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[Route, dict[str, Any]] | None:
        method, path = scope["method"], _route_path(scope)
        route = self._fixed.get((method, path))
        if route is not None:
            return route, {}
        for route in self._templated:
            if method not in (route.methods or ()):
                continue
            match = route.path_regex.match(path)
            if match is not None:
                convertors = route.param_convertors
                return route, {k: convertors[k].convert(v) for k, v in match.groupdict().items()}
        return None

    @staticmethod
    async def _answer(
        route: Route, parameters: dict[str, Any], scope: Scope, receive: Receive, send: Send
    ) -> None:
        scope["route"] = route  # its path template names the request in metrics
        scope["endpoint"] = route.endpoint
        scope["path_params"] = parameters
        request = Request(scope, receive)
        try:
            response = await route.endpoint(request, **parameters)
        except PredictorError as error:
            response = domain_error_response(request, error)
        except HTTPException as error:
            response = http_error_response(request, error)
        await response(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path the app's router matches: ``path`` under the app's ``root_path``, if any."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root + "/") else path
