"""Every response carries X-Request-ID (the client's, when sane) and, once loaded, X-Model-Version."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.unit.http.conftest import AUTH, assert_problem, row

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_a_sane_request_id_is_echoed_in_the_header_and_the_body(client: TestClient) -> None:
    response = client.post(
        "/predict", json={"instances": [row()]}, headers={**AUTH, "X-Request-ID": "batch-42.retry_1"}
    )

    assert response.headers["X-Request-ID"] == "batch-42.retry_1"
    assert response.json()["request_id"] == "batch-42.retry_1"


@pytest.mark.parametrize("presented", ["has spaces", "semi;colon", "x" * 129, "", "ünïcode"])
def test_an_unusable_request_id_is_replaced_by_a_new_one(client: TestClient, presented: str) -> None:
    response = client.get("/health/live", headers=[(b"x-request-id", presented.encode())])

    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_each_request_gets_its_own_id(client: TestClient) -> None:
    ids = {client.get("/health/live").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5
    assert all(GENERATED.fullmatch(i) for i in ids)


def test_problem_responses_carry_the_request_id_and_model_version(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": []}, headers={**AUTH, "X-Request-ID": "abc"})

    body = assert_problem(response, 400, "invalid-input")
    assert body["request_id"] == "abc"
    assert response.headers["X-Model-Version"] == "1"


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v2/predict"), 404, "not-found")
    assert "/v2/predict" in body["detail"]


def test_a_wrong_method_is_a_405_problem_listing_the_allowed_one(client: TestClient) -> None:
    response = client.get("/predict", headers=AUTH)

    body = assert_problem(response, 405, "method-not-allowed")
    assert response.headers["Allow"] == "POST"
    assert "POST" in body["detail"]
