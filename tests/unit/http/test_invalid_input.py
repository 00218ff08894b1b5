"""Bad requests to /predict get a 400 problem naming every bad row and field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.http.conftest import AUTH, assert_problem, row


def post_raw(client: TestClient, body: bytes) -> Any:
    return client.post("/predict", content=body, headers={**AUTH, "Content-Type": "application/json"})


def errors_of(response: Any) -> list[dict[str, Any]]:
    body = assert_problem(response, 400, "invalid-input")
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def test_a_missing_feature_is_named_with_its_row(client: TestClient) -> None:
    incomplete = row()
    del incomplete["x2"]
    response = client.post("/predict", json={"instances": [row(), incomplete]}, headers=AUTH)

    assert errors_of(response) == [
        {"row": 1, "field": "x2", "message": "is missing; send null for an unknown value"}
    ]
    assert "row 1" in response.json()["detail"]


def test_an_unexpected_feature_is_refused(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [row(colour_code=3)]}, headers=AUTH)

    assert errors_of(response) == [
        {"row": 0, "field": "colour_code", "message": "is not a feature of this model"}
    ]


@pytest.mark.parametrize(
    ("value", "described"),
    [("1.5", "a string"), (True, "a boolean"), ([1.0], "a list"), ({"v": 1}, "an object")],
)
def test_a_number_of_the_wrong_type_is_refused(client: TestClient, value: object, described: str) -> None:
    response = client.post("/predict", json={"instances": [row(x1=value)]}, headers=AUTH)

    (error,) = errors_of(response)
    assert (error["row"], error["field"]) == (0, "x1")
    assert described in error["message"]


def test_a_category_must_be_a_string(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [row(colour=2)]}, headers=AUTH)

    (error,) = errors_of(response)
    assert (error["row"], error["field"]) == (0, "colour")


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused_field_by_field(client: TestClient, token: str) -> None:
    good, bad = '{"x1": 1.0, "x2": 0.1, "colour": "red"}', f'{{"x1": {token}, "x2": 0.1, "colour": "red"}}'
    body = f'{{"instances": [{good}, {bad}]}}'

    (error,) = errors_of(post_raw(client, body.encode()))
    assert (error["row"], error["field"]) == (1, "x1")
    assert "finite" in error["message"]


def test_a_number_too_large_for_float32_is_refused(client: TestClient) -> None:
    response = post_raw(client, b'{"instances": [{"x1": 1e300, "x2": 0.1, "colour": "red"}]}')

    (error,) = errors_of(response)
    assert error["field"] == "x1"


def test_an_integer_beyond_64_bits_is_refused_not_crashed_on(client: TestClient) -> None:
    response = post_raw(client, b'{"instances": [{"x1": 1' + b"0" * 40 + b', "x2": 0.1, "colour": "red"}]}')

    (error,) = errors_of(response)
    assert error["field"] == "x1"


def test_several_bad_fields_are_reported_in_one_response(client: TestClient) -> None:
    rows = [row(), row(x1="high"), {"x1": 1.0}, row(extra=1), "not a row"]
    response = client.post("/predict", json={"instances": rows}, headers=AUTH)

    located = [(e["row"], e["field"]) for e in errors_of(response)]
    assert located == [(1, "x1"), (2, "x2"), (2, "colour"), (3, "extra"), (4, None)]
    assert "(and 4 more)" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b'{"instances": [}', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8 text"),
        (b"instances=1", "not valid JSON"),
    ],
)
def test_malformed_json_is_a_400_problem(client: TestClient, body: bytes, said: str) -> None:
    (error,) = errors_of(post_raw(client, body))
    assert error["row"] is None
    assert said in error["message"]


def test_deeply_nested_json_is_a_400_problem(client: TestClient) -> None:
    depth = 100_000
    (error,) = errors_of(post_raw(client, b"[" * depth + b"]" * depth))
    assert "not valid JSON" in error["message"]


@pytest.mark.parametrize(
    ("body", "kind"), [(b"[]", "a list"), (b'"rows"', "a string"), (b"3", "a number"), (b"null", "null")]
)
def test_a_body_that_is_not_an_object_is_refused(client: TestClient, body: bytes, kind: str) -> None:
    (error,) = errors_of(post_raw(client, body))
    assert f"must be a JSON object, got {kind}" in error["message"]


def test_instances_are_required(client: TestClient) -> None:
    response = client.post("/predict", json={"rows": [row()]}, headers=AUTH)

    assert [(e["field"], e["row"]) for e in errors_of(response)] == [("instances", None), ("rows", None)]


@pytest.mark.parametrize("instances", [{"x1": 1.0}, "x1=1", 3, None])
def test_instances_must_be_a_list(client: TestClient, instances: object) -> None:
    response = client.post("/predict", json={"instances": instances}, headers=AUTH)

    (error,) = errors_of(response)
    assert error["field"] == "instances"
    assert error["message"].startswith("must be a list of rows")


def test_an_empty_batch_is_refused(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": []}, headers=AUTH)

    (error,) = errors_of(response)
    assert "empty" in error["message"]


def test_a_field_beside_instances_and_parameters_is_refused(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [row()], "signature_name": "serving"}, headers=AUTH)

    (error,) = errors_of(response)
    assert (error["row"], error["field"]) == (None, "signature_name")
