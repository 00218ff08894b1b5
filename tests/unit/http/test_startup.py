"""Start-up: the app includes one router per protocol, documented by the pydantic models of
``schemas.py``, and the garbage collector is paused while the app is imported and built, and on
again after."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from predictor.config import API_KEYS_SECRET
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.asgi import app_factory
from predictor.entrypoints.startup import collector_paused
from tests.unit.http.conftest import trained_container


def declared(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[APIRoute]:
    """The app's routes, through the routers it includes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if isinstance(included, APIRouter):
            yield from declared(included.routes)


def test_the_app_declares_every_protocols_routes() -> None:
    app = create_app(trained_container())
    paths = {r.path for r in declared(app.routes)}
    assert {"/predict", "/v1/explain", "/invocations", "/ping", "/v2/models/{name}/infer"} <= paths
    assert {"/health/live", "/health/ready", "/v1/models/current", "/openapi.json"} <= paths


def test_the_document_has_the_response_models_and_the_raw_bodies_and_is_kept() -> None:
    app = create_app(trained_container())
    documented = {r.path for r in declared(app.routes) if r.response_field is not None}
    assert {"/predict", "/v1/explain", "/invocations", "/v2/models/{name}/infer"} <= documented
    document = app.openapi()
    models = set(document["components"]["schemas"])
    assert {"PredictResponse", "ExplainResponse", "Problem", "Readiness"} <= models
    predict = document["paths"]["/predict"]["post"]
    assert predict["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PredictResponse"
    }
    assert predict["responses"]["503"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert predict["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PredictRequest"
    }
    assert "instances" in document["components"]["schemas"]["PredictRequest"]["properties"]
    assert predict["security"] == [{"ApiKey": []}]
    assert app.openapi() is document


def test_the_collector_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_the_collector_is_restored_when_start_up_fails() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("start-up failed")
    assert gc.isenabled()


def test_building_the_app_leaves_the_collector_on_and_start_up_objects_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(API_KEYS_SECRET, "startup-key-0123456789abcdef")
    gc.disable()  # as `predictor serve` leaves it before uvicorn builds the app
    try:
        app_factory()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()
