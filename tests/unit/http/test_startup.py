"""Start-up: routes are prepared while the model loads, without counting or logging a request;
the garbage collector is paused while the app is imported and built, and on again after."""

from __future__ import annotations

import gc

import pytest
import structlog

from predictor.adapters.memory import RecordingMetricsSink
from predictor.config import API_KEYS_SECRET
from predictor.entrypoints.http.asgi import app_factory
from predictor.entrypoints.startup import collector_paused
from tests.unit.http.conftest import AUTH, row, serve, trained_container


def test_preparing_routes_at_start_is_not_a_request() -> None:
    container = trained_container()
    with structlog.testing.capture_logs() as logs, serve(container) as client:
        assert client.get("/health/ready").status_code == 200
        assert client.post("/predict", json={"instances": [row()]}, headers=AUTH).status_code == 200
    requests = [entry for entry in logs if entry["event"] == "request"]
    assert [(r["path"], r["status"]) for r in requests] == [("/health/ready", 200), ("/predict", 200)]
    sink = container.adapters.metrics()  # flushed at shutdown
    assert isinstance(sink, RecordingMetricsSink)
    counted = {m.dimensions["route"] for batch in sink.batches for m in batch if m.name == "requests"}
    assert counted == {"/health/ready", "/predict"}


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
