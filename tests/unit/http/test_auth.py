"""API keys: the X-API-Key header, two active keys for rotation, never a key in the URL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from predictor.domain.errors import ConfigurationError
from predictor.entrypoints.http.app import create_app
from tests.unit.builders import memory_container
from tests.unit.http.conftest import (
    API_KEY,
    AUTH,
    ROTATED_KEY,
    assert_problem,
    row,
    serve,
    trained_container,
    with_keys,
)

BODY = {"instances": [row()]}


def test_a_request_without_a_key_is_a_401_problem(client: TestClient) -> None:
    response = client.post("/predict", json=BODY)

    body = assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "ApiKey"
    assert "X-API-Key" in body["detail"]


def test_a_wrong_key_is_a_401_problem(client: TestClient) -> None:
    response = client.post("/predict", json=BODY, headers={"X-API-Key": "not-a-key-of-this-service"})

    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "ApiKey"


@pytest.mark.parametrize("key", [API_KEY, ROTATED_KEY])
def test_each_active_key_works_during_a_rotation(client: TestClient, key: str) -> None:
    assert client.post("/predict", json=BODY, headers={"X-API-Key": key}).status_code == 200
    assert client.get("/v1/models/current", headers={"X-API-Key": key}).status_code == 200


@pytest.mark.parametrize("parameter", ["api_key", "apikey", "api-key", "key", "X-API-Key", "token"])
def test_a_key_in_the_query_string_is_refused_even_when_valid(client: TestClient, parameter: str) -> None:
    response = client.post(f"/predict?{parameter}={API_KEY}", json=BODY, headers=AUTH)

    body = assert_problem(response, 401, "unauthorized")
    assert "X-API-Key header" in body["detail"]
    assert API_KEY not in response.text


def test_the_models_route_needs_a_key(client: TestClient) -> None:
    assert_problem(client.get("/v1/models/current"), 401, "unauthorized")


def test_health_is_open_without_a_key(client: TestClient) -> None:
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").status_code == 200


def test_docs_are_open_unless_settings_ask_for_the_key(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200


def test_docs_need_the_key_when_docs_require_key() -> None:
    with serve(trained_container(docs_require_key=True)) as client:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert_problem(client.get(path), 401, "unauthorized")
            assert client.get(path, headers=AUTH).status_code == 200


def test_docs_are_not_served_when_disabled() -> None:
    with serve(trained_container(docs_enabled=False)) as client:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert_problem(client.get(path, headers=AUTH), 404, "not-found")


def test_the_openapi_document_declares_the_key_and_the_routes(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "One of the service's API keys (PREDICTOR_API_KEYS). Also accepted as "
        "'Authorization: Bearer <key>' or as HTTP Basic credentials' password.",
    }
    assert {"/predict", "/v1/predict", "/v1/models/current", "/health/live", "/health/ready"} <= set(
        document["paths"]
    )
    body = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PredictRequest"}
    assert "instances" in document["components"]["schemas"]["PredictRequest"]["properties"]


def test_the_app_refuses_to_start_without_any_key() -> None:
    with pytest.raises(ConfigurationError, match="no API keys are configured"):
        create_app(memory_container())


def test_the_app_refuses_to_start_with_only_blank_keys() -> None:
    with pytest.raises(ConfigurationError, match="no API keys are configured"):
        create_app(with_keys(memory_container(), " ", ""))


def test_the_app_refuses_a_key_too_short_to_be_secret() -> None:
    with pytest.raises(ConfigurationError, match="shorter than 16"):
        create_app(with_keys(memory_container(), "short"))


PREDICTION_ROUTES = [
    ("post", "/predict"),
    ("post", "/v1/predict"),
    ("post", "/v1/explain"),
    ("post", "/invocations"),
    ("post", "/v2/models/{name}/infer"),
    ("post", "/v2/models/{name}/versions/{version}/infer"),
    ("get", "/v1/models/current"),
]


@pytest.mark.parametrize(("method", "path"), PREDICTION_ROUTES)
def test_every_keyed_route_declares_the_key_in_the_openapi_document(
    client: TestClient, method: str, path: str
) -> None:
    operation = client.get("/openapi.json").json()["paths"][path][method]
    assert operation["security"] == [{"ApiKey": []}]


@pytest.mark.parametrize(("method", "path"), [r for r in PREDICTION_ROUTES if r[0] == "post"])
@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "not-a-key-0123456789"}])
def test_every_prediction_route_refuses_a_missing_or_unknown_key(
    client: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    url = path.replace("{name}", "demo").replace("{version}", "1")
    response = client.post(url, json={"instances": [row()]}, headers=headers)
    assert_problem(response, 401, "unauthorized")


@pytest.mark.parametrize("path", ["/predict", "/invocations", "/v2/models/demo/infer"])
def test_a_key_in_the_query_string_is_refused_on_the_prediction_routes(client: TestClient, path: str) -> None:
    response = client.post(f"{path}?api_key=x", json={"instances": [row()]}, headers=AUTH)
    assert_problem(response, 401, "unauthorized")
