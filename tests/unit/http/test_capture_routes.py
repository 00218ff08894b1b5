"""Capture seen from the client: answers are the same with capture off, on, or on with a store
that fails; what is captured carries the request id the client got, and nothing of its headers."""

from __future__ import annotations

from typing import Any

from predictor.container import Container
from predictor.domain.alerts import CAPTURE_FAILING
from tests.unit.http.conftest import API_KEY, JSON_AUTH, serve, trained_container

ROWS = [{"x1": 0.5, "x2": -0.25, "colour": "red"}, {"x1": None, "x2": 1.0, "colour": "violet"}]


def answers(container: Container, times: int = 3) -> list[tuple[int, Any]]:
    """Each answer's status and body, without its request id (new per request)."""
    seen = []
    with serve(container) as client:
        for _ in range(times):
            response = client.post("/predict", json={"instances": ROWS}, headers=JSON_AUTH)
            body = response.json()
            body.pop("request_id")
            seen.append((response.status_code, body))
    return seen


def test_answers_are_the_same_with_capture_off_on_and_failing() -> None:
    off = answers(trained_container())
    on = trained_container(capture_uri="captured", capture_batch_rows=2)
    failing = trained_container(capture_uri="captured", capture_batch_rows=2)
    failing.adapters.capture_store().failing = "No space left on device"

    assert answers(on) == off
    assert answers(failing) == off
    assert on.adapters.capture_store().rows("demo") == 6
    assert failing.adapters.capture_store().rows("demo") == 0
    dropped = [m for m in failing.adapters.metrics().metrics if m.name == "capture_dropped_rows"]
    assert sum(m.value for m in dropped) == 6
    assert {m.dimensions["reason"] for m in dropped} == {"store_failed"}
    assert [a.subject for a in failing.adapters.alerter().alerts] == [CAPTURE_FAILING]


def test_each_row_carries_the_request_id_the_client_got_and_no_header() -> None:
    container = trained_container(capture_uri="captured")
    with serve(container) as client:
        response = client.post("/predict", json={"instances": ROWS}, headers=JSON_AUTH)
    (batch,) = container.adapters.capture_store().batches["demo"]
    assert batch.request_ids == (response.json()["request_id"],) * 2
    assert batch.features == ("x1", "x2", "colour")
    held = repr(batch)
    assert API_KEY not in held
    assert "x-api-key" not in held.lower()


def test_a_sampled_share_of_zero_captures_nothing() -> None:
    container = trained_container(capture_uri="captured", capture_sample_percent=0)
    answers(container)
    assert container.adapters.capture_store().batches == {}
