"""A served demo model with a shadow challenger, on the in-memory container."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dependency_injector import providers
from fastapi.testclient import TestClient

from predictor.adapters.memory import StaticSecretStore
from predictor.config import ADMIN_API_KEYS_SECRET, API_KEYS_SECRET
from predictor.container import Container
from predictor.container.shadow import served_shadows
from predictor.domain.ports import ModelRuntime
from predictor.domain.schema import TaskType
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import API_KEY, JSON_AUTH, row, serve

ADMIN_KEY = "admin-key-0123456789abcdef"
ADMIN = {"X-API-Key": ADMIN_KEY}
# A ceiling on waiting for the shadow's worker, so that a broken test fails rather than hangs;
# nothing is asserted about how long anything takes.
PATIENCE_S = 30.0


def shadowed(
    shadow: str | None = "demo@challenger", task: TaskType = TaskType.BINARY, **settings: object
) -> Container:
    """demo@production (version 1) served, demo@challenger (version 2, another seed) its shadow."""
    if shadow is not None:
        settings["shadow_model"] = shadow
    container = memory_container(task, reload_interval_s=0, **settings)
    store = StaticSecretStore({API_KEYS_SECRET: [API_KEY], ADMIN_API_KEYS_SECRET: [ADMIN_KEY]})
    container.adapters.secrets.override(providers.Object(store))
    train_demo(container)
    train_demo(container, promote_to="challenger", seed=7)
    return container


def with_shadow_runtime(container: Container, runtime: ModelRuntime) -> Container:
    """The container's shadow, loaded through ``runtime`` instead of the champion's."""
    shadows = providers.Singleton(served_shadows, providers.Object(container), providers.Object(runtime))
    container.shadows.override(shadows)
    return container


def eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def report(client: TestClient, name: str = "demo") -> dict[str, Any]:
    response = client.get(f"/v1/models/{name}/shadow", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def shadow_loaded(client: TestClient, name: str = "demo") -> bool:
    return report(client, name)["shadow_version"] is not None


def scored(client: TestClient, requests: int, name: str = "demo") -> bool:
    """Whether ``name``'s shadow has dealt with ``requests`` sampled requests in all (each pair's
    scored, failed and incompatible ones, and the dropped)."""
    body = report(client, name)
    dealt: int = body["dropped"] + sum(p["requests"] + p["errors"] + p["incompatible"] for p in body["pairs"])
    return dealt >= requests


def predict_bodies(client: TestClient, requests: int, first: int = 0) -> list[bytes]:
    """Predictions ``first`` to ``requests - 1``, of different rows, each with its own request id."""
    bodies = []
    for i in range(first, requests):
        payload = {"instances": [row(x1=i / 10), row(x1=-i / 7, colour="blue"), row(x2=i / 20)]}
        response = client.post("/predict", json=payload, headers={**JSON_AUTH, "X-Request-ID": f"r-{i}"})
        assert response.status_code == 200, response.text
        bodies.append(response.content)
    return bodies


@contextmanager
def serving(container: Container) -> Iterator[TestClient]:
    with serve(container) as client:
        yield client
