"""``GET /metrics``: Prometheus's text format for an admin key, labelled by model and version,
counting requests, latency, rows, loads and 429s (one process; tests/integration has --workers 2)."""

from __future__ import annotations

from dependency_injector import providers
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from predictor.adapters.memory import StaticSecretStore
from predictor.config import ADMIN_API_KEYS_SECRET, API_KEYS_SECRET
from predictor.container import Container
from predictor.domain.schema import TaskType
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import API_KEY, AUTH, row, serve

ADMIN_KEY = "admin-key-0123456789abcdef"
ADMIN = {"X-API-Key": ADMIN_KEY}


def with_prometheus(**settings: object) -> Container:
    container = memory_container(TaskType.BINARY, prometheus_enabled=True, **settings)
    store = StaticSecretStore({API_KEYS_SECRET: [API_KEY], ADMIN_API_KEYS_SECRET: [ADMIN_KEY]})
    container.adapters.secrets.override(providers.Object(store))
    train_demo(container)
    return container


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_metrics_is_not_served_unless_enabled() -> None:
    container = memory_container()
    container.adapters.secrets.override(
        providers.Object(StaticSecretStore({API_KEYS_SECRET: [API_KEY], ADMIN_API_KEYS_SECRET: [ADMIN_KEY]}))
    )
    train_demo(container)
    with serve(container) as client:
        assert client.get("/metrics", headers=ADMIN).status_code == 404


def test_metrics_needs_an_admin_key() -> None:
    with serve(with_prometheus()) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=AUTH).status_code == 403
        assert client.get("/metrics", headers=ADMIN).status_code == 200


def test_predictions_are_counted_by_model_and_version() -> None:
    with serve(with_prometheus()) as client:
        for _ in range(3):
            answer = client.post("/predict", json={"instances": [row(), row()]}, headers=AUTH)
            assert answer.status_code == 200
        version = answer.headers["X-Model-Version"]
        assert client.post("/predict", json={"instances": [row(x1="high")]}, headers=AUTH).status_code == 400
        counted = samples(client)
    model, served = ("model", "demo"), ("version", version)
    route = ("route", "/predict")
    assert counted[("predictor_requests_total", (model, route, ("status", "200"), served))] == 3
    assert counted[("predictor_requests_total", (model, route, ("status", "400"), served))] == 1
    assert counted[("predictor_request_duration_seconds_count", (model, route, served))] == 4
    assert counted[("predictor_rows_predicted_total", (model, served))] == 6
    assert counted[("predictor_model_loads_total", (model, served))] == 1
    assert counted[("predictor_model_in_use", (model, served))] == 1


def test_rate_limited_requests_are_counted() -> None:
    with serve(with_prometheus(key_rate_per_s=0.01, key_burst=1)) as client:
        assert client.post("/predict", json={"instances": [row()]}, headers=AUTH).status_code == 200
        assert client.post("/predict", json={"instances": [row()]}, headers=AUTH).status_code == 429
        counted = samples(client)
    assert counted[("predictor_rate_limited_requests_total", (("route", "/predict"),))] == 1


def test_with_a_port_of_its_own_metrics_is_not_on_the_service_port() -> None:
    with serve(with_prometheus(prometheus_port=9464)) as client:
        assert client.get("/metrics", headers=ADMIN).status_code == 404
