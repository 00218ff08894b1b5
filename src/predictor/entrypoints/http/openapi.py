"""The OpenAPI document, FastAPI's own (``get_openapi`` over the app's routes), as FastAPI's
"Extending OpenAPI" guide does it: ``install_openapi`` replaces ``app.openapi``.

What it adds: the request bodies of the prediction routes, which read their body as bytes and
name its schema (``routes/documentation.py:raw_body``). The bodies are the served model's
(``request_bodies.py``, ``infer_body.py``), so the document is rendered again when another
version is served (a hot reload), and kept per version. Then what FastAPI cannot say is made
true to what the service answers (``_made_true``).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from predictor.entrypoints.http.problems import PROBLEM_MEDIA_TYPE
from predictor.entrypoints.http.routes.documentation import CSV, JSON

if TYPE_CHECKING:
    from predictor.container import Container
    from predictor.entrypoints.http.request_bodies import ServedInputs
    from predictor.services.serving.loading import ServedModel

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_SCHEMAS = "#/components/schemas/"
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


def install_openapi(app: FastAPI, container: Container) -> None:
    """``app.openapi()`` renders the document for the version ``container`` serves, once per
    version (and set of models served)."""
    rendered: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        served = container.slot().peek()
        names = container.served_models().names  # models added or removed at run time
        key = (names, None if served is None else (served.version.name, served.version.version))
        if app.openapi_schema is None or rendered.get("key", ()) != key:
            app.openapi_schema = _render(app, container, served)
            rendered["key"] = key
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it


def _render(app: FastAPI, container: Container, served: ServedModel | None) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    # A copy: FastAPI's rendering shares the routes' openapi_extra dicts, which are edited below.
    document = copy.deepcopy(document)
    _add_request_bodies(document, _bodies(_served_inputs(container, served)))
    version = served.version.version if served is not None else None
    return _made_true(document, names=list(container.served_models().names), version=version)


def _served_inputs(container: Container, served: ServedModel | None) -> ServedInputs:
    from predictor.entrypoints.http.request_bodies import ServedInputs

    manifest = served.model.manifest if served is not None else None
    return ServedInputs(
        schema=manifest.schema if manifest is not None else None,
        example=manifest.input_example[0] if manifest is not None and manifest.input_example else None,
        max_rows=container.settings().serving.max_rows,
        name=container.model_ref().name,
        version=served.version.version if served is not None else None,
    )


def _bodies(inputs: ServedInputs) -> dict[str, dict[str, Any]]:
    """The schema components the prediction routes name, each as a media type object (the
    schema, and the served model's example when there is one)."""
    from predictor.entrypoints.http import infer_body, request_bodies

    invocations = request_bodies.invocations(inputs)["content"]
    return {
        "PredictRequest": request_bodies.predict(inputs)["content"][JSON],
        "ExplainRequest": request_bodies.explain(inputs)["content"][JSON],
        "InvocationsRequest": invocations[JSON],
        "InvocationsCsvRequest": invocations[CSV],
        "InferRequest": infer_body.infer(inputs)["content"][JSON],
    }


def _add_request_bodies(document: dict[str, Any], bodies: dict[str, dict[str, Any]]) -> None:
    """Each body's schema as a component; its example beside each reference to it."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, described in bodies.items():
        schemas[name] = described["schema"]
    for operations in document["paths"].values():
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                name = media.get("schema", {}).get("$ref", "").removeprefix(_SCHEMAS)
                if "example" in bodies.get(name, {}):
                    media["example"] = bodies[name]["example"]


def _made_true(document: dict[str, Any], *, names: list[str], version: str | None) -> dict[str, Any]:
    """What FastAPI renders, as the service answers.

    - Problems are ``application/problem+json``; there is no 422 (request errors are 400).
    - A path's ``{name}`` is a served model's, its ``{version}`` the one serving now.
    - A HEAD answer has no body; every answer carries ``X-Request-ID``.
    """
    components = document["components"]
    for model in _VALIDATION:
        components["schemas"].pop(model, None)
    components["headers"] = copy.deepcopy(_HEADERS)
    allowed = {"name": names, "version": [version] if version is not None else None}
    for operations in document["paths"].values():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", ()):
                values = allowed.get(parameter["name"])
                if parameter["in"] == "path" and values is not None:
                    parameter["schema"] = {"type": "string", "enum": values, "title": parameter["name"]}
            _responses(operation, head=method == "head")
    return document


def _responses(operation: dict[str, Any], *, head: bool) -> None:
    responses: dict[str, Any] = operation["responses"]
    responses.pop("422", None)
    for status, response in responses.items():
        if int(status) >= 400 and "content" in response:  # as FastAPI put it: the route's media type
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}
        if head:
            response.pop("content", None)
        headers = ("X-Request-ID", *_HEADERS_BY_STATUS.get(status, ()))
        response["headers"] = {header: {"$ref": f"#/components/headers/{header}"} for header in headers}
