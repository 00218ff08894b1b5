"""Route declarations that ``create_app`` adds straight to the app.

FastAPI prepares a route (parameter models, validators) when it is declared, and prepares it
again for every router that includes it; an ``APIRouter`` included in the app meant every
route was prepared twice (~2 ms each here, at start-up). A ``RouteTable`` only records the
declarations, with the same arguments as ``APIRouter.get`` / ``post``; ``add_to`` declares them
on the app, once. ``direct=True`` marks a prediction route that ``DirectRoutes`` answers without
FastAPI's routing layer (``direct.py``); ``add_to`` returns those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette.routing import Route

from predictor.entrypoints.http.direct import checked_direct

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


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

    def add_to(self, app: FastAPI) -> list[Route]:
        """Declare every route on ``app``; return the direct ones, as declared there."""
        declared = []
        for method, path, endpoint, is_direct, options in self._routes:
            if is_direct and (self.dependencies or options.get("dependencies")):
                raise TypeError(f"{path}: a direct route runs no FastAPI dependencies")
            app.add_api_route(
                self.prefix + path,
                endpoint,
                methods=[method],
                **{
                    **options,
                    "tags": [*self.tags, *options.get("tags", ())],
                    "dependencies": [*self.dependencies, *options.get("dependencies", ())],
                    "include_in_schema": self.include_in_schema and options.get("include_in_schema", True),
                },
            )
            if is_direct:
                route = app.router.routes[-1]
                assert isinstance(route, APIRoute)  # noqa: S101  # add_api_route appends one
                declared.append(checked_direct(route))
        return declared
