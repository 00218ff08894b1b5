"""Each deliberate departure from the Open Inference Protocol's REST specification is real: an
answer of the service that the spec as published (with the amendments only) refuses, and the
spec with the departures written in (``oip_spec.with_departures``) accepts. So the list in
oip_spec.py and docs/api.md names what the service does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance
from schemathesis.core.failures import FailureGroup

from tests.peers import oip_specification
from tests.unit.builders import memory_container
from tests.unit.http.conftest import AUTH, serve, with_keys
from tests.unit.http.oip_spec import EXAMPLE, amended, served_container, with_departures

CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    return amended(oip_specification())


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with serve(served_container()[0]) as client:
        yield client


def accepts(spec: dict[str, Any], method: str, path: str, response: Any) -> bool:
    """Schemathesis' status, content type and body checks on ``response`` pass for ``path``."""
    case = schemathesis.openapi.from_dict(spec)[path][method].Case(path_parameters={"model_name": "demo"})
    try:
        case.validate_response(response, checks=CHECKS)
    except (FailureGroup, AssertionError):
        return False
    return True


def reads(spec: dict[str, Any], body: dict[str, Any]) -> bool:
    """``body`` is an InferenceRequest as ``spec`` describes it."""
    schema = {"$ref": "#/components/schemas/InferenceRequest", "components": spec["components"]}
    return jsonschema_rs.validator_for(schema).is_valid(body)


def test_errors_are_problems_with_the_specs_error_member(
    client: TestClient, published: dict[str, Any]
) -> None:
    response = client.post("/v2/models/demo/infer", json={"inputs": []}, headers=AUTH)

    assert response.status_code == 400
    assert response.json()["error"]
    assert not accepts(published, "POST", "/v2/models/{model_name}/infer", response)
    assert accepts(with_departures(published), "POST", "/v2/models/{model_name}/infer", response)


@pytest.mark.parametrize("path", ["/v2/health/ready", "/v2/models/{model_name}/ready"])
def test_not_ready_is_503(path: str, published: dict[str, Any]) -> None:
    container = with_keys(memory_container())  # nothing trained: no model ever loads
    with serve(container) as client:
        response = client.get(path.replace("{model_name}", "demo"))

    assert response.status_code == 503
    assert not accepts(published, "GET", path, response)
    assert accepts(with_departures(published), "GET", path, response)


def test_a_model_not_served_is_404_on_its_readiness_route(
    client: TestClient, published: dict[str, Any]
) -> None:
    path = "/v2/models/{model_name}/ready"
    response = client.get("/v2/models/another/ready")

    assert response.status_code == 404
    assert not accepts(published, "GET", path, response)
    assert accepts(with_departures(published), "GET", path, response)


@pytest.mark.parametrize("path", ["/v2", "/v2/models/{model_name}"])
def test_metadata_needs_the_key(client: TestClient, published: dict[str, Any], path: str) -> None:
    response = client.get(path.replace("{model_name}", "demo"))

    assert response.status_code == 401
    assert not accepts(published, "GET", path, response)
    assert accepts(with_departures(published), "GET", path, response)


@pytest.mark.parametrize(
    "extra",
    [
        {"id": None},
        {"parameters": None},
        {"outputs": None},
        {"parameters": {"content_type": 7, "headers": []}},
    ],
    ids=["id", "parameters", "outputs", "unread-parameters"],
)
def test_nulls_and_unread_parameters_are_read_as_left_out(
    client: TestClient, published: dict[str, Any], extra: dict[str, Any]
) -> None:
    body = {**EXAMPLE, **extra}
    response = client.post("/v2/models/demo/infer", json=body, headers=AUTH)
    plain = client.post("/v2/models/demo/infer", json={**EXAMPLE, "id": "same"}, headers=AUTH)

    assert response.status_code == 200, response.text
    assert response.json()["outputs"] == plain.json()["outputs"]
    assert reads(published, EXAMPLE)
    assert not reads(published, body)
    assert reads(with_departures(published), body)
