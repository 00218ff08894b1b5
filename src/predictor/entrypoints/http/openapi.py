"""The OpenAPI document, rendered for the served model when it is asked for.

Every endpoint returns its own ``Response``: response models, problem responses and request
body schemas only shape the document. Declaring them on the serving app cost start-up time
that no prediction uses (the pydantic models of ``schemas.py``, a response field per route and
the ``pydantic.v1`` import FastAPI makes to check them; docs/performance.md). So the serving
app declares its routes bare, and ``/openapi.json`` declares the same route tables, documented,
on a FastAPI app of its own that renders the document.

The request bodies of the prediction routes are the served model's (``request_bodies.py``,
``infer_body.py``), so the document is rendered again when another version is served (a hot
reload), and kept per version. FastAPI's rendering is then made true to what the service
answers (``_made_true``).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from predictor.entrypoints.http.routes.table import PROBLEM_DESCRIPTION, RouteTable

if TYPE_CHECKING:
    from predictor.container import Container
    from predictor.entrypoints.http.request_bodies import ServedInputs
    from predictor.services.serving.loading import ServedModel

PROBLEM_MEDIA_TYPE = "application/problem+json"
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# FastAPI documents a 422 for request validation; the service answers 400 instead (errors.py).
_VALIDATION = ("HTTPValidationError", "ValidationError")
_HEADERS: dict[str, Any] = {
    "X-Request-ID": {
        "description": "The request's id: the one sent, if it is 1-128 characters of [A-Za-z0-9._-], "
        "else a new one.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"},
    },
    "Retry-After": {
        "description": "Seconds to wait before asking again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "WWW-Authenticate": {"required": True, "schema": {"type": "string", "const": "ApiKey"}},
}
_HEADERS_BY_STATUS = {"401": ("WWW-Authenticate",), "429": ("Retry-After",), "503": ("Retry-After",)}


@dataclass(frozen=True)
class _Documentation:
    """The names route tables declare, resolved for the served model (``routes/table.py``)."""

    inputs: ServedInputs

    def model(self, name: str) -> Any:
        from predictor.entrypoints.http import schemas

        return getattr(schemas, name)

    def request_body(self, name: str) -> dict[str, Any]:
        from predictor.entrypoints.http import infer_body, request_bodies

        bodies = {
            "predict": request_bodies.predict,
            "explain": request_bodies.explain,
            "invocations": request_bodies.invocations,
            "infer": infer_body.infer,
        }
        return bodies[name](self.inputs)


class DocumentedApp(FastAPI):
    """A FastAPI app whose ``openapi()`` renders ``documented`` route tables for the model its
    container serves, once per served version."""

    documented: Sequence[RouteTable] = ()
    _rendered: tuple[tuple[str, str] | None, dict[str, Any]] | None = None

    def openapi(self) -> dict[str, Any]:
        container: Container = self.state.container
        served = container.slot().peek()
        key = None if served is None else (served.version.name, served.version.version)
        if self._rendered is None or self._rendered[0] != key:
            self._rendered = (key, self._render(container, served))
            self.openapi_schema = self._rendered[1]
        return self._rendered[1]

    def _render(self, container: Container, served: ServedModel | None) -> dict[str, Any]:
        from predictor.entrypoints.http.request_bodies import ServedInputs

        manifest = served.model.manifest if served is not None else None
        inputs = ServedInputs(
            schema=manifest.schema if manifest is not None else None,
            example=manifest.input_example[0] if manifest is not None and manifest.input_example else None,
            max_rows=container.settings().serving.max_rows,
        )
        renderer = FastAPI(title=self.title, version=self.version, description=self.description)
        documentation = _Documentation(inputs)
        for table in self.documented:
            table.add_to(renderer, documentation)
        # A copy: FastAPI's rendering shares the route tables' dicts, which _made_true edits.
        document = copy.deepcopy(renderer.openapi())
        version = served.version.version if served is not None else None
        return _made_true(document, name=container.model_ref().name, version=version)


def _made_true(document: dict[str, Any], *, name: str, version: str | None) -> dict[str, Any]:
    """What FastAPI renders, as the service answers.

    - Problems are ``application/problem+json``; there is no 422 (request errors are 400).
    - The service reads no query parameter: FastAPI takes the ``version`` of an endpoint shared
      by a versioned and an unversioned V2 path for one on the unversioned path.
    - The V2 path's ``{name}`` is the served model's, its ``{version}`` the one serving now.
    - A route that reads a key can answer 401 and 429 (the authentication brakes); every route 500.
    - A HEAD answer has no body; every answer carries ``X-Request-ID``.
    """
    components = document.setdefault("components", {})
    for model in _VALIDATION:
        components.get("schemas", {}).pop(model, None)
    components["headers"] = copy.deepcopy(_HEADERS)
    allowed = {"name": [name], "version": [version] if version is not None else None}
    for operations in document["paths"].values():
        for method, operation in operations.items():
            parameters = [p for p in operation.get("parameters", ()) if p["in"] != "query"]
            for parameter in parameters:
                values = allowed.get(parameter["name"])
                if parameter["in"] == "path" and values is not None:
                    parameter["schema"] = {"type": "string", "enum": values, "title": parameter["name"]}
            if parameters:
                operation["parameters"] = parameters
            else:
                operation.pop("parameters", None)
            _responses(operation, head=method == "head")
    return document


def _responses(operation: dict[str, Any], *, head: bool) -> None:
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    statuses = ["500"]
    if operation.get("security"):
        statuses += ["401", "429"]
    for status in statuses:
        responses.setdefault(status, {"description": PROBLEM_DESCRIPTION, "content": {}})
    for status, response in responses.items():
        if int(status) >= 400 and "content" in response:  # as FastAPI put it: the route's media type
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
        if head:
            response.pop("content", None)
        headers = ("X-Request-ID", *_HEADERS_BY_STATUS.get(status, ()))
        response["headers"] = {header: {"$ref": f"#/components/headers/{header}"} for header in headers}
