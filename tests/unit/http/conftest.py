"""An in-process HTTP service on the in-memory container, with two active API keys."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import structlog
from dependency_injector import providers
from fastapi.testclient import TestClient

from predictor.adapters.memory import StaticSecretStore
from predictor.config import API_KEYS_SECRET
from predictor.container import Container
from predictor.domain.schema import TaskType
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.loading import Backoff
from tests.unit.builders import memory_container, train_demo

API_KEY = "primary-key-0123456789abcdef"
ROTATED_KEY = "rotated-key-fedcba9876543210"
AUTH = {"X-API-Key": API_KEY}
JSON_AUTH = {**AUTH, "Content-Type": "application/json"}
PROBLEM_JSON = "application/problem+json"
FAST_RETRY = Backoff(initial=0.01, maximum=0.05)


def with_keys(container: Container, *keys: str) -> Container:
    store = StaticSecretStore({API_KEYS_SECRET: list(keys or (API_KEY, ROTATED_KEY))})
    container.adapters.secrets.override(providers.Object(store))
    return container


def trained_container(task: TaskType = TaskType.BINARY, **settings: object) -> Container:
    """Keys configured and demo@production trained; the app's lifespan loads it."""
    container = with_keys(memory_container(task, **settings))
    train_demo(container)
    return container


@contextmanager
def serve(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container, load_backoff=FAST_RETRY)) as client:
        yield client


def asgi_scope(path: str, headers: list[tuple[bytes, bytes]], method: str = "POST") -> dict[str, Any]:
    """An HTTP scope as a server hands it to the app, for tests that drive the ASGI app by hand."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
    }


def row(**values: Any) -> dict[str, Any]:
    """A valid row for the synthetic model, with ``values`` replacing (or adding) fields."""
    return {"x1": 0.5, "x2": -0.25, "colour": "red", **values}


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of that status and type; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://predictor.dev/problems/{slug}"
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


@pytest.fixture
def client() -> Iterator[TestClient]:
    with serve(trained_container()) as client:
        yield client


@pytest.fixture
def quiet_access_log() -> Iterator[None]:
    """No access line per request (Schemathesis runs send hundreds); errors still show."""
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    yield
    structlog.configure(**previous)
