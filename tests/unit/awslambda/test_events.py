"""The Lambda handler answers each real-shaped event (API Gateway REST v1, HTTP API v2, ALB with
and without multi-value headers) exactly as the HTTP server answers the same request: status,
body and the headers a client acts on. Gzip'd bodies get the same 415 on both channels."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from predictor.entrypoints.awslambda.service import LambdaService
from tests.unit.awslambda.events import (
    Answer,
    LambdaContext,
    event,
    event_names,
    from_http,
    from_lambda,
    request_id,
)
from tests.unit.awslambda.events import http_request as as_http
from tests.unit.http.conftest import trained_container

# Small enough that the *_oversized fixtures are over it (the setting's minimum).
MAX_BODY_BYTES = 1024


@pytest.fixture(scope="module")
def service() -> LambdaService:
    return LambdaService(trained_container(max_body_bytes=MAX_BODY_BYTES))


@pytest.fixture(scope="module")
def http(service: LambdaService) -> TestClient:
    # The same app, without its lifespan: the Lambda service loaded the model at init.
    return TestClient(service.app)


def both(service: LambdaService, http: TestClient, name: str) -> tuple[Answer, Answer]:
    given = event(name)
    by_lambda = from_lambda(service(given, LambdaContext()))
    request = as_http(given)
    sent = http.request(request.method, request.url, headers=request.headers, content=request.content)
    by_http = from_http(sent)
    return by_lambda, by_http


def test_there_is_a_fixture_for_every_case() -> None:
    names = set(event_names())
    assert {"rest_v1_base64", "http_v2_base64", "http_v2_cookies", "alb_predict", "alb_multi_value"} <= names
    assert {"rest_v1_no_content_type", "alb_no_content_type", "http_v2_oversized", "http_v2_gzip"} <= names


@pytest.mark.parametrize("name", event_names())
def test_each_event_is_answered_as_the_http_server_answers(
    service: LambdaService, http: TestClient, name: str
) -> None:
    by_lambda, by_http = both(service, http, name)
    assert by_lambda == by_http


@pytest.mark.parametrize("name", ["rest_v1_predict", "rest_v1_base64", "http_v2_cookies", "alb_multi_value"])
def test_a_prediction_is_answered_with_the_served_version(
    service: LambdaService, http: TestClient, name: str
) -> None:
    by_lambda, _ = both(service, http, name)
    assert by_lambda.status == 200
    assert by_lambda.headers["x-model-version"] == "1"
    assert by_lambda.headers["x-request-id"] == request_id(event(name))
    assert len(json.loads(by_lambda.body)["predictions"]) == 2


@pytest.mark.parametrize("name", ["http_v2_gzip", "alb_gzip"])
def test_a_gzipped_body_is_decompressed_and_predicted(
    service: LambdaService, http: TestClient, name: str
) -> None:
    by_lambda, by_http = both(service, http, name)
    assert by_lambda.status == by_http.status == 200
    assert len(json.loads(by_lambda.body)["predictions"]) == 2


@pytest.mark.parametrize("name", ["rest_v1_oversized", "http_v2_oversized"])
def test_an_oversized_body_is_a_413_on_both(service: LambdaService, http: TestClient, name: str) -> None:
    by_lambda, by_http = both(service, http, name)
    assert by_lambda.status == by_http.status == 413
    assert json.loads(by_lambda.body)["type"] == "https://predictor.dev/problems/payload-too-large"


def test_a_request_without_a_key_gets_401_and_the_challenge(service: LambdaService, http: TestClient) -> None:
    by_lambda, _ = both(service, http, "rest_v1_no_key")
    assert by_lambda.status == 401
    assert by_lambda.headers["www-authenticate"] == "ApiKey"
