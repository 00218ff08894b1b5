"""Properties: whatever a client sends to /invocations (JSON or CSV), /v2/.../infer or
/v1/explain (lone surrogates and NUL bytes included: in keys, values, column and tensor names,
ids), the answer is a 200 or a 4xx problem, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.http.conftest import AUTH, JSON_AUTH, PROBLEM_JSON, serve, trained_container
from tests.unit.http.test_properties import awkward_text, json_values, near_rows

FEATURES = ["x1", "x2", "colour"]
names = st.lists(st.sampled_from([*FEATURES, "extra"]) | awkward_text, max_size=4) | json_values
mlflow_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "dataframe_split": st.fixed_dictionaries(
                {"columns": names, "data": st.lists(json_values, max_size=4)}
            )
        },
        optional={"params": json_values},
    ),
    st.fixed_dictionaries({"dataframe_records": st.lists(near_rows | json_values, max_size=4)}),
    st.fixed_dictionaries({"instances": st.lists(st.lists(json_values, max_size=4), max_size=4)}),
    st.fixed_dictionaries(
        {"inputs": st.dictionaries(st.sampled_from([*FEATURES, "x"]) | awkward_text, json_values, max_size=4)}
    ),
)
tensors = st.fixed_dictionaries(
    {
        "name": st.sampled_from([*FEATURES, "input-0"]) | awkward_text | json_values,
        "shape": st.lists(st.integers(-1, 4), max_size=3) | json_values,
        "datatype": st.sampled_from(["FP32", "FP64", "INT64", "BYTES", "BOOL", "X"]),
        "data": st.lists(json_values | awkward_text, max_size=8) | json_values,
    }
)
v2_bodies = json_values | st.fixed_dictionaries(
    {"inputs": st.lists(tensors, max_size=4)},
    optional={
        "parameters": json_values,
        "outputs": st.lists(st.fixed_dictionaries({"name": awkward_text}), max_size=3) | json_values,
        "id": awkward_text | json_values,
    },
)
# A lone surrogate goes out as the bytes UTF-8 would give it (ED A0 80), which are not UTF-8.
csv_bodies = st.lists(
    st.lists(
        st.sampled_from(
            [*FEATURES, "", "1.5", "red", "nan", "inf", "x,y", '"', "é", "\x00", "re\x00d", "\ud800"]
        ),
        max_size=4,
    ),
    max_size=5,
).map(lambda lines: "\n".join(",".join(line) for line in lines).encode("utf-8", "surrogatepass"))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with serve(trained_container(max_rows=5)) as client:
        yield client


def assert_answered(response: Any) -> None:
    if response.status_code != 200:
        assert response.status_code in {400, 413}, response.text
        assert response.headers["content-type"] == PROBLEM_JSON


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=mlflow_bodies)
def test_any_scoring_request_is_a_prediction_or_a_client_problem(client: TestClient, body: Any) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    assert_answered(
        client.post("/invocations", content=json.dumps(body, ensure_ascii=True).encode(), headers=headers)
    )


@settings(max_examples=60, deadline=None)
@given(body=csv_bodies | st.binary(max_size=48))
def test_any_csv_is_a_prediction_or_a_client_problem(client: TestClient, body: bytes) -> None:
    assert_answered(client.post("/invocations", content=body, headers={**AUTH, "Content-Type": "text/csv"}))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=v2_bodies)
def test_any_infer_request_is_a_prediction_or_a_client_problem(client: TestClient, body: Any) -> None:
    response = client.post(
        "/v2/models/demo/infer", content=json.dumps(body, ensure_ascii=True).encode(), headers=AUTH
    )
    assert_answered(response)
    if response.status_code == 400:
        assert response.json()["error"]


@settings(max_examples=50, deadline=None)
@given(body=json_values | st.fixed_dictionaries({"instances": st.lists(near_rows, max_size=4)}))
def test_any_explain_request_is_an_explanation_or_a_client_problem(client: TestClient, body: Any) -> None:
    assert_answered(
        client.post("/v1/explain", content=json.dumps(body, ensure_ascii=True).encode(), headers=JSON_AUTH)
    )
