"""Ambiguous or broken bodies get a 400 (or 415) that says where, never a 500 or a silent guess:
lone surrogates, keys given twice, the wrong content type, integers outside their V2 datatype."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.http.conftest import AUTH, JSON_AUTH, assert_problem, row

LONE = "\ud800"
TENSORS = [
    {"name": "x1", "shape": [1], "datatype": "FP32", "data": [0.5]},
    {"name": "x2", "shape": [1], "datatype": "FP32", "data": [-0.25]},
    {"name": "colour", "shape": [1], "datatype": "BYTES", "data": ["red"]},
]


def post_json_text(client: TestClient, path: str, text: str) -> Any:
    """``text`` sent as it is: ``json.dumps`` escapes a lone surrogate as ``\\ud800``."""
    return client.post(path, content=text.encode("ascii"), headers=JSON_AUTH)


def the_error(response: Any) -> dict[str, Any]:
    body = assert_problem(response, 400, "invalid-input")
    (error,) = body["errors"]
    assert isinstance(error, dict)
    return error


@pytest.mark.parametrize(
    ("path", "document", "where"),
    [
        ("/predict", {"instances": [{**row(), LONE: 1}]}, "instances[0].\\ud800"),
        ("/predict", {"instances": [row(colour=LONE)]}, "instances[0].colour"),
        ("/predict", {LONE: 1, "instances": [row()]}, "\\ud800"),
        ("/invocations", {"dataframe_records": [{**row(), LONE: 1}]}, "dataframe_records[0].\\ud800"),
        ("/v1/explain", {"instances": [{LONE: 1}]}, "instances[0].\\ud800"),
        ("/v2/models/demo/infer", {"inputs": [{**TENSORS[0], "name": LONE}]}, "inputs[0].name"),
        ("/v2/models/demo/infer", {"id": LONE, "inputs": TENSORS}, "id"),
    ],
)
def test_a_lone_surrogate_is_a_400_naming_where_it_is(
    client: TestClient, path: str, document: dict[str, Any], where: str
) -> None:
    response = post_json_text(client, path, json.dumps(document))

    error = the_error(response)
    assert error["field"] == where
    assert "lone surrogate" in error["message"]


@pytest.mark.parametrize(
    ("path", "text", "key"),
    [
        ("/predict", '{"instances": [{"x1": 1, "x1": 2, "x2": 0, "colour": "red"}]}', "x1"),
        ("/predict", '{"instances": [], "instances": [{"x1": 1, "x2": 0, "colour": "red"}]}', "instances"),
        ("/invocations", '{"dataframe_records": [{"colour": "red", "colour": "blue"}]}', "colour"),
        ("/v2/models/demo/infer", '{"inputs": [{"name": "x1", "name": "x2"}]}', "name"),
        ("/v2/models/demo/infer", '{"inputs": [{"name": "x1", "parameters": {"a": 1, "a": 2}}]}', "a"),
    ],
)
def test_a_key_given_twice_is_a_400_naming_it(client: TestClient, path: str, text: str, key: str) -> None:
    error = the_error(post_json_text(client, path, text))

    assert error["field"] == key
    assert "more than once" in error["message"]


def test_colons_inside_strings_are_not_taken_for_repeated_keys(client: TestClient) -> None:
    response = post_json_text(client, "/predict", json.dumps({"instances": [row(colour="12:30")]}))

    assert response.status_code == 200, response.text


def test_a_key_given_twice_beside_a_nan_is_named_too(client: TestClient) -> None:
    text = '{"instances": [{"x1": NaN, "x2": 0, "x2": 1, "colour": "red"}]}'

    assert the_error(post_json_text(client, "/predict", text))["field"] == "x2"


@pytest.mark.parametrize("path", ["/predict", "/v1/predict", "/v1/explain"])
@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16"],
)
def test_the_json_routes_answer_415_to_any_other_content_type(
    client: TestClient, path: str, content_type: str | None
) -> None:
    body = json.dumps({"instances": [row()]})
    encoded = body.encode("utf-16") if content_type and "utf-16" in content_type else body.encode()
    headers = dict(AUTH) if content_type is None else {**AUTH, "Content-Type": content_type}

    problem = assert_problem(
        client.post(path, content=encoded, headers=headers), 415, "unsupported-media-type"
    )

    assert "application/json" in problem["detail"]


def test_utf8_json_with_its_charset_is_accepted(client: TestClient) -> None:
    headers = {**AUTH, "Content-Type": "application/json; charset=UTF-8"}
    response = client.post("/predict", content=json.dumps({"instances": [row()]}).encode(), headers=headers)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("datatype", "value"),
    [("INT8", 1000), ("INT8", -129), ("UINT8", -1), ("UINT16", 65536), ("INT32", 2**31), ("INT64", 2**63)],
)
def test_a_v2_integer_outside_its_datatype_is_a_400(client: TestClient, datatype: str, value: int) -> None:
    tensors = [{**TENSORS[0], "datatype": datatype, "data": [value]}, *TENSORS[1:]]

    error = the_error(client.post("/v2/models/demo/infer", json={"inputs": tensors}, headers=AUTH))

    assert error["field"] == "x1.data[0]"
    assert f"outside {datatype}'s range" in error["message"]


def test_a_v2_integer_tensor_holds_integers(client: TestClient) -> None:
    tensors = [{**TENSORS[0], "datatype": "INT16", "data": [0.5]}, *TENSORS[1:]]

    error = the_error(client.post("/v2/models/demo/infer", json={"inputs": tensors}, headers=AUTH))

    assert "must be an integer" in error["message"]


def test_v2_integers_within_their_datatype_are_scored(client: TestClient) -> None:
    tensors = [{**TENSORS[0], "datatype": "INT8", "data": [-128]}, *TENSORS[1:]]

    response = client.post("/v2/models/demo/infer", json={"inputs": tensors}, headers=AUTH)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("datatype", [{}, [], 3, None])
def test_a_v2_datatype_that_is_not_a_name_is_a_400(client: TestClient, datatype: object) -> None:
    tensors = [{**TENSORS[0], "datatype": datatype}, *TENSORS[1:]]

    error = the_error(client.post("/v2/models/demo/infer", json={"inputs": tensors}, headers=AUTH))

    assert error["field"] == "x1.datatype"


@pytest.mark.parametrize("path", ["/v2/models/demo/ready", "/v2/models/demo"])
def test_a_version_query_parameter_means_nothing_on_the_unversioned_v2_routes(
    client: TestClient, path: str
) -> None:
    assert client.get(f"{path}?version=7", headers=AUTH).status_code == 200
    assert client.get(f"{path}/versions/7", headers=AUTH).status_code == 404
