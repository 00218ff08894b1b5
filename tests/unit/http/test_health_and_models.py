"""Health, readiness with background retries, and GET /v1/models/current."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from predictor.entrypoints.http.loading import Backoff
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import AUTH, assert_problem, serve, with_keys


def test_liveness_answers_alive(client: TestClient) -> None:
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_readiness_names_the_loaded_model_to_a_caller_with_a_key(client: TestClient) -> None:
    response = client.get("/health/ready", headers=AUTH)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "model": {"name": "demo", "version": "1", "alias": "production", "run_id": "run-1"},
    }
    assert response.headers["X-Model-Version"] == "1"


def test_readiness_without_a_key_says_the_status_only(client: TestClient) -> None:
    for path in ("/health/ready", "/ping"):
        response = client.get(path)

        assert response.status_code == 200
        assert response.json() == {"status": "ready"}
        assert "X-Model-Version" not in response.headers
        for secret in ("demo", "run-1", "production"):
            assert secret not in response.text


def test_readiness_with_a_wrong_key_is_refused_like_any_keyed_route(client: TestClient) -> None:
    response = client.get("/health/ready", headers={"X-API-Key": "wrong-key-0123456789abc"})

    assert_problem(response, 401, "unauthorized")


def wait_until_ready(client: TestClient, within: float = 2.0) -> int:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        status = client.get("/health/ready").status_code
        if status == 200:
            return status
        time.sleep(0.02)
    return client.get("/health/ready").status_code


def test_the_service_starts_unready_and_becomes_ready_once_a_model_is_registered() -> None:
    container = with_keys(memory_container())  # the registry is empty

    with serve(container) as client:
        unready = client.get("/health/ready", headers=AUTH)
        anonymous = client.get("/health/ready")
        prediction = client.post("/predict", json={"instances": [{"x1": 1.0}]}, headers=AUTH)
        assert client.get("/health/live").status_code == 200

        train_demo(container)
        assert wait_until_ready(client) == 200

    body = assert_problem(unready, 503, "model-unavailable")
    assert "models:/demo@production" in body["detail"]
    assert unready.headers["Retry-After"]
    assert "X-Model-Version" not in unready.headers
    assert assert_problem(anonymous, 503, "model-unavailable")["detail"] == "no model is loaded yet"
    assert_problem(prediction, 503, "model-unavailable")


def test_backoff_doubles_from_one_second_up_to_thirty() -> None:
    delays = Backoff().delays()
    assert [next(delays) for _ in range(8)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_current_model_describes_version_schema_and_metrics(client: TestClient) -> None:
    response = client.get("/v1/models/current", headers=AUTH)

    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("name", "version", "alias", "run_id", "origin")} == {
        "name": "demo",
        "version": "1",
        "alias": "production",
        "run_id": "run-1",
        "origin": "registry",
    }
    assert body["created_at"].endswith("+00:00")
    assert [f["name"] for f in body["schema"]["features"]] == ["x1", "x2", "colour"]
    assert body["schema"]["target"] == {"name": "label", "task": "binary", "labels": ["no", "yes"]}
    assert set(body["metrics"]) >= {"accuracy", "roc_auc"}


def test_current_model_is_a_503_problem_before_any_model_loads() -> None:
    with serve(with_keys(memory_container())) as client:
        assert_problem(client.get("/v1/models/current", headers=AUTH), 503, "model-unavailable")
