"""CORS: only the configured origins get CORS headers; none configured means none sent."""

from __future__ import annotations

import httpx2
from fastapi.testclient import TestClient

from tests.unit.http.conftest import AUTH, row, serve, trained_container

ALLOWED = "https://app.example.org"


def preflight(client: TestClient, origin: str) -> httpx2.Response:
    return client.options(
        "/predict",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-API-Key, Content-Type",
        },
    )


def test_a_preflight_from_an_allowed_origin_is_allowed() -> None:
    with serve(trained_container(cors_origins=ALLOWED)) as client:
        response = preflight(client, ALLOWED)

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "x-api-key" in allowed_headers
    assert "content-type" in allowed_headers
    assert "X-Request-ID" in response.headers


def test_a_preflight_from_another_origin_gets_no_cors_headers() -> None:
    with serve(trained_container(cors_origins=ALLOWED)) as client:
        response = preflight(client, "https://evil.example.com")

    assert response.status_code >= 400
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_allowed_origin_can_read_the_request_id_and_model_version() -> None:
    with serve(trained_container(cors_origins=ALLOWED)) as client:
        response = client.post("/predict", json={"instances": [row()]}, headers={**AUTH, "Origin": ALLOWED})

    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = response.headers["Access-Control-Expose-Headers"].lower()
    assert "x-request-id" in exposed
    assert "x-model-version" in exposed


def test_an_error_answered_to_an_allowed_origin_carries_cors_headers_too() -> None:
    with serve(trained_container(cors_origins=ALLOWED)) as client:
        response = client.post("/predict", json={"instances": []}, headers={**AUTH, "Origin": ALLOWED})

    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_without_configured_origins_no_cors_headers_are_sent(client: TestClient) -> None:
    response = client.post(
        "/predict", json={"instances": [row()]}, headers={**AUTH, "Origin": "https://app.example.org"}
    )

    assert response.status_code == 200
    assert not [name for name in response.headers if name.lower().startswith("access-control-")]
