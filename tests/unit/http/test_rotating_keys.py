"""The HTTP service on a rotating key secret: 503 before the first read, rotations, outages."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from dependency_injector import providers
from fastapi.testclient import TestClient

from predictor.adapters.memory import FixedClock, InMemoryRotatingSecretStore
from predictor.config import SecretStoreKind
from predictor.container import Container
from predictor.domain.errors import SecretStoreUnavailable
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import assert_problem, row, serve

NAME = "predictor/api-keys"
OLD = "old-client-key-0123456789"
NEW = "new-client-key-0123456789"
ADMIN = "admin-key-0123456789abcdef"
BODY = {"instances": [row()]}


def aws_keys_container() -> tuple[Container, InMemoryRotatingSecretStore, FixedClock]:
    container = memory_container(
        secret_store=SecretStoreKind.AWS, keys_secret_id=NAME, keys_ttl_s=60, keys_retry_s=5
    )
    train_demo(container)
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    container.adapters.clock.override(providers.Object(clock))
    store = container.adapters.secrets()
    assert isinstance(store, InMemoryRotatingSecretStore)
    return container, store, clock


def keys(*clients: str) -> str:
    return json.dumps({"api_keys": list(clients), "admin_keys": [ADMIN]})


def predict(client: TestClient, key: str) -> int:
    return client.post("/predict", json=BODY, headers={"X-API-Key": key}).status_code


def eventually(client: TestClient, key: str, status: int) -> int:
    """The key's status once the read its first request started (on a thread) is done."""
    deadline = time.monotonic() + 5
    while (answered := predict(client, key)) != status and time.monotonic() < deadline:
        time.sleep(0.01)
    return answered


def test_before_the_first_read_every_protected_route_is_503_and_health_stays_open() -> None:
    container, store, clock = aws_keys_container()
    store.put(NAME, keys(OLD))
    store.outage = SecretStoreUnavailable("Secrets Manager cannot be reached (EndpointConnectionError)")
    with serve(container) as client:
        for response in (
            client.post("/predict", json=BODY, headers={"X-API-Key": OLD}),
            client.post("/predict", json=BODY),
            client.get("/v1/models/current", headers={"X-API-Key": OLD}),
            client.post("/v1/models/reload", headers={"X-API-Key": ADMIN}),
        ):
            body = assert_problem(response, 503, "keys-unavailable")
            assert "not loaded yet" in body["detail"]
            assert "EndpointConnectionError" not in response.text
        assert client.get("/health/live").status_code == 200
        store.outage = None
        clock.at += timedelta(seconds=5)
        assert eventually(client, OLD, 200) == 200
        assert client.post("/v1/models/reload", headers={"X-API-Key": ADMIN}).status_code == 200
    assert len(container.adapters.alerter().alerts) == 1


def test_a_rotation_keeps_both_keys_and_a_removed_key_gets_401_after_one_ttl() -> None:
    container, store, clock = aws_keys_container()
    store.put(NAME, keys(OLD))
    with serve(container) as client:
        assert predict(client, OLD) == 200
        store.put(NAME, keys(NEW))
        clock.at += timedelta(seconds=60)
        assert eventually(client, NEW, 200) == 200
        assert predict(client, OLD) == 200
        store.put(NAME, keys(NEW))
        clock.at += timedelta(seconds=59)
        assert predict(client, OLD) == 200
        clock.at += timedelta(seconds=1)
        assert eventually(client, OLD, 401) == 401
        assert_problem(client.post("/predict", json=BODY, headers={"X-API-Key": OLD}), 401, "unauthorized")
        assert predict(client, NEW) == 200


def test_an_outage_after_a_read_keeps_serving_with_one_alert() -> None:
    container, store, clock = aws_keys_container()
    store.put(NAME, keys(OLD))
    with serve(container) as client:
        store.outage = SecretStoreUnavailable("access to secret is denied (AccessDeniedException)")
        for _ in range(5):
            clock.at += timedelta(seconds=60)
            assert predict(client, OLD) == 200
    alerts = container.adapters.alerter().alerts
    assert [alert.subject for alert in alerts] == ["secret store unreachable"]
