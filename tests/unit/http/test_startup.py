"""Start-up: routes are declared straight on the app (FastAPI prepares each once), and the
garbage collector is paused while the app is imported and built, and on again after."""

from __future__ import annotations

import gc

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from predictor.config import API_KEYS_SECRET
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.asgi import app_factory
from predictor.entrypoints.http.routes.table import RouteTable
from predictor.entrypoints.startup import collector_paused
from tests.unit.http.conftest import trained_container


def test_a_route_table_declares_its_routes_on_the_app_with_prefix_tags_and_dependencies() -> None:
    seen: list[str] = []

    async def note(request: Request) -> None:
        seen.append(request.url.path)

    table = RouteTable(prefix="/things", tags=["things"], dependencies=[Depends(note)])

    @table.get("/{name}", summary="One thing", tags=["extra"])
    async def one(name: str) -> dict[str, str]:
        return {"name": name}

    @table.post("", include_in_schema=False)
    async def create() -> dict[str, bool]:
        return {"created": True}

    app = FastAPI()
    table.add_to(app)
    routes = {(r.path, tuple(sorted(r.methods or ()))): r for r in app.routes if isinstance(r, APIRoute)}
    assert set(routes) == {("/things/{name}", ("GET",)), ("/things", ("POST",))}
    assert routes[("/things/{name}", ("GET",))].tags == ["things", "extra"]
    assert routes[("/things/{name}", ("GET",))].summary == "One thing"
    with TestClient(app) as client:
        assert client.get("/things/bolt").json() == {"name": "bolt"}
        assert client.post("/things").json() == {"created": True}
    assert seen == ["/things/bolt", "/things"]  # the table's dependency ran on both
    assert list(app.openapi()["paths"]) == ["/things/{name}"]  # the hidden route stays hidden


def test_the_app_declares_every_protocols_routes() -> None:
    app = create_app(trained_container())
    paths = {r.path for r in app.routes if isinstance(r, APIRoute)}
    assert {"/predict", "/v1/explain", "/invocations", "/ping", "/v2/models/{name}/infer"} <= paths
    assert {"/health/live", "/health/ready", "/v1/models/current", "/openapi.json"} <= paths


def test_the_serving_app_leaves_the_documentation_to_the_first_openapi_request() -> None:
    app = create_app(trained_container())
    declared = [r for r in app.routes if isinstance(r, APIRoute)]
    # No response model, problem response or body schema is built at start-up ...
    assert [r.path for r in declared if r.response_field is not None or r.response_fields] == []
    document = app.openapi()
    # ... the document has them all, and is kept once built.
    models = set(document["components"]["schemas"])
    assert {"PredictResponse", "ExplainResponse", "Problem", "Readiness"} <= models
    predict = document["paths"]["/predict"]["post"]
    assert predict["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PredictResponse"
    }
    assert predict["responses"]["503"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert "instances" in predict["requestBody"]["content"]["application/json"]["schema"]["properties"]
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
