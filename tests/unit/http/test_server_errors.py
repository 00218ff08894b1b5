"""An unexpected failure is a generic 500 problem: logged with its stack trace, never shown."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import structlog
from fastapi.testclient import TestClient

from predictor.domain.errors import ConfigurationError
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, Scores, ServableModel
from tests.unit.http.conftest import AUTH, assert_problem, row, serve, trained_container

INTERNAL_TEXT = "/srv/predictor/.cache/model-7/booster.ubj: corrupted page"


class ExplodingModel(ServableModel):
    """Has the served model's manifest, but every prediction fails as a broken native library would."""

    def __init__(self, manifest: ModelManifest, error: Exception) -> None:
        self._manifest = manifest
        self._error = error

    @property
    def manifest(self) -> ModelManifest:
        return self._manifest

    def predict(self, matrix: Matrix) -> Scores:
        raise self._error

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        raise self._error


def failing_client(error: Exception) -> Iterator[TestClient]:
    container = trained_container()
    with serve(container) as client:
        served = container.slot().current()
        container.slot().swap(dataclasses.replace(served, model=ExplodingModel(served.model.manifest, error)))
        yield client


@pytest.fixture
def broken_client() -> Iterator[TestClient]:
    yield from failing_client(RuntimeError(INTERNAL_TEXT))


def test_an_unexpected_error_is_a_generic_500_problem(broken_client: TestClient) -> None:
    response = broken_client.post("/predict", json={"instances": [row()]}, headers=AUTH)

    body = assert_problem(response, 500, "internal-error")
    assert "request_id" in body["detail"]
    for leak in (INTERNAL_TEXT, "RuntimeError", "Traceback", ".py", "booster"):
        assert leak not in response.text


def test_the_stack_trace_is_logged_with_the_request_id(broken_client: TestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        response = broken_client.post(
            "/predict", json={"instances": [row()]}, headers={**AUTH, "X-Request-ID": "req-500"}
        )

    assert response.status_code == 500
    (failure,) = [entry for entry in logs if entry["event"] == "unhandled error"]
    assert failure["log_level"] == "error"
    assert failure["exc_info"] is True
    (access,) = [entry for entry in logs if entry["event"] == "request"]
    assert (access["status"], access["request_id"]) == (500, "req-500")


def test_a_domain_error_with_no_meaning_for_clients_is_a_generic_500() -> None:
    for client in failing_client(ConfigurationError(f"cannot read {INTERNAL_TEXT}")):
        response = client.post("/predict", json={"instances": [row()]}, headers=AUTH)

        assert_problem(response, 500, "internal-error")
        assert INTERNAL_TEXT not in response.text
