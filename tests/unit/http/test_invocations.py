"""MLflow's scoring protocol: /invocations in every input format gives /predict's numbers;
/ping and /version; errors stay problem+json. What only the strict reading refuses
(``PREDICTOR_INVOCATIONS_STRICT``) is here too; what the lenient one accepts instead is in
test_lenient_invocations.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from predictor.domain.schema import TaskType
from tests.unit.builders import memory_container
from tests.unit.http.conftest import AUTH, assert_problem, row, serve, trained_container, with_keys

ROWS = [row(), row(x1=-3.0, x2=None), row(x1=-0.2, colour="purple")]
NAMES = ["x1", "x2", "colour"]
CSV = "text/csv"


def invocations(client: TestClient, body: Any, content_type: str = "application/json", **headers: str) -> Any:
    content = body if isinstance(body, bytes) else None
    return client.post(
        "/invocations",
        content=content,
        json=None if content is not None else body,
        headers={**AUTH, "Content-Type": content_type, **headers},
    )


def csv_body(rows: list[dict[str, Any]], names: list[str] = NAMES) -> bytes:
    lines = [",".join(names)]
    lines += [",".join("" if r[n] is None else str(r[n]) for n in names) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def expected(client: TestClient, rows: list[dict[str, Any]] = ROWS) -> list[float]:
    """P(yes) per row as /predict answers it."""
    answer = client.post("/predict", json={"instances": rows}, headers=AUTH).json()
    return [p["probabilities"]["yes"] for p in answer["predictions"]]


BODIES: dict[str, dict[str, Any]] = {
    "dataframe_split": {"dataframe_split": {"columns": NAMES, "data": [[r[n] for n in NAMES] for r in ROWS]}},
    "dataframe_split with index, other order": {
        "dataframe_split": {
            "index": [0, 1, 2],
            "columns": ["colour", "x2", "x1"],
            "data": [[r["colour"], r["x2"], r["x1"]] for r in ROWS],
        }
    },
    "dataframe_records": {"dataframe_records": ROWS},
    "instances as records": {"instances": ROWS},
    "instances as lists": {"instances": [[r[n] for n in NAMES] for r in ROWS]},
    "inputs as columns": {"inputs": {n: [r[n] for r in ROWS] for n in NAMES}},
    "inputs as records": {"inputs": ROWS},
}


@pytest.mark.parametrize("name", list(BODIES))
def test_every_json_format_gives_predict_numbers(client: TestClient, name: str) -> None:
    response = invocations(client, BODIES[name])

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["X-Model-Version"] == "1"
    assert response.json() == {"predictions": expected(client)}


def test_csv_gives_predict_numbers(client: TestClient) -> None:
    response = invocations(client, csv_body(ROWS), f"{CSV}; charset=utf-8")

    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": expected(client)}


def test_params_choose_the_output(client: TestClient) -> None:
    labels = invocations(client, {**BODIES["dataframe_records"], "params": {"output": "label"}})
    pairs = invocations(client, {**BODIES["dataframe_records"], "params": {"output": "probabilities"}})
    both = invocations(
        client, {**BODIES["dataframe_records"], "params": {"output": "both", "threshold": 0.99}}
    )

    p = expected(client)
    assert labels.json()["predictions"] == ["yes" if q >= 0.5 else "no" for q in p]
    assert pairs.json()["predictions"] == [[1.0 - q, q] for q in p]
    assert [x["label"] for x in both.json()["predictions"]] == ["yes" if q >= 0.99 else "no" for q in p]


@pytest.mark.parametrize(("task", "width"), [(TaskType.MULTICLASS, 3), (TaskType.REGRESSION, None)])
def test_other_tasks_answer_as_mlflow_serve_does(task: TaskType, width: int | None) -> None:
    with serve(trained_container(task)) as client:
        predictions = invocations(client, BODIES["dataframe_split"]).json()["predictions"]
        answer = client.post("/predict", json={"instances": ROWS}, headers=AUTH).json()["predictions"]
    if width is None:
        assert predictions == [p["value"] for p in answer]
    else:
        assert predictions == [list(p["probabilities"].values()) for p in answer]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", None),
        ([1, 2], None),
        ({"dataframe_split": {"columns": NAMES, "data": []}, "dataframe_records": ROWS}, None),
        ({}, None),
        ({"dataframe_split": [[1, 2, "red"]]}, "dataframe_split"),
        ({"dataframe_split": {"columns": NAMES}}, "dataframe_split.data"),
        ({"dataframe_split": {"columns": NAMES, "data": [[1]], "dtypes": {}}}, "dataframe_split.dtypes"),
        ({"dataframe_split": {"columns": ["x1", "x2"], "data": [[1, 2]]}}, "colour"),
        ({"dataframe_split": {"columns": NAMES, "data": [[1, "two", "red"]]}}, "x2"),
        ({"inputs": {"x1": [1, 2], "x2": [1], "colour": ["red", "red"]}}, "x2"),
        ({"dataframe_records": ROWS, "params": {"threshold": 2}}, "params.threshold"),
    ],
)
def test_json_errors_are_400_problems(client: TestClient, body: Any, field: str | None) -> None:
    problem = assert_problem(invocations(client, body), 400, "invalid-input")
    assert problem["errors"][0]["field"] == field


@pytest.fixture(scope="module")
def strict_client() -> Iterator[TestClient]:
    with serve(trained_container(invocations_strict=True)) as client:
        yield client


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instances": ROWS, "signature_name": "x"}, "signature_name"),
        ({"dataframe_split": {"columns": [*NAMES, "x9"], "data": [[1, 2, "red", 0]]}}, "x9"),
        ({"dataframe_records": ROWS, "params": {"top_k": 2}}, "params.top_k"),
        ({"dataframe_split": {"columns": NAMES, "data": [[float("nan"), 2, "red"]]}}, "x1"),
        ({"dataframe_split": {"columns": NAMES, "data": [["1.5", 2, "red"]]}}, "x1"),
        ({"dataframe_split": {"columns": NAMES, "data": [[True, 2, "red"]]}}, "x1"),
        ({"dataframe_records": [ROWS[0], {"x1": 1, "x2": 2}]}, "colour"),
        ({"inputs": {"x1": 1, "x2": 2, "colour": "red"}}, "x1"),
        ({"dataframe_split": {"columns": NAMES, "data": []}}, None),
    ],
)
def test_strict_json_errors_are_400_problems(strict_client: TestClient, body: Any, field: str | None) -> None:
    """What the lenient reading accepts, the strict one refuses, naming the field."""
    content = dumped(body)
    problem = assert_problem(invocations(strict_client, content), 400, "invalid-input")
    assert problem["errors"][0]["field"] == field


def dumped(body: Any) -> bytes:
    """``body`` as ``json.dumps`` writes it: NaN as the bare token."""
    return json.dumps(body).encode()


def test_strict_csv_refuses_columns_that_are_not_features(strict_client: TestClient) -> None:
    for body, field in [(b"x1,x2,colour,extra\n1,2,red,3\n", "extra"), (b",x1,x2,colour\n0,1,2,red\n", "")]:
        problem = assert_problem(invocations(strict_client, body, CSV), 400, "invalid-input")
        assert problem["errors"][0]["field"] == field


def test_strict_refuses_parquet_as_415(strict_client: TestClient) -> None:
    response = invocations(strict_client, b"PAR1", "application/vnd.apache.parquet")
    problem = assert_problem(response, 415, "unsupported-media-type")
    assert "text/csv" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "row_field"),
    [
        (b"", (None, None)),
        (b"x1,x2\n1,2\n", (None, "colour")),
        (b"x1,x2,colour\n1,2,red\n1,abc,red\n", (1, "x2")),
        (b"x1,x2,colour\n1,2\n", (0, None)),
        (b'x1,x2,colour\n1,2,"red\n', (None, None)),
        (b"x1,x2,colour\n1,2,\xff\n", (None, None)),
    ],
)
def test_csv_errors_are_400_problems(client: TestClient, body: bytes, row_field: tuple[Any, Any]) -> None:
    problem = assert_problem(invocations(client, body, CSV), 400, "invalid-input")
    first = problem["errors"][0]
    assert (first["row"], first["field"]) == row_field


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-parquet", "application/json; charset=latin-1", ""]
)
def test_other_content_types_are_415_problems(client: TestClient, content_type: str) -> None:
    problem = assert_problem(invocations(client, csv_body(ROWS), content_type), 415, "unsupported-media-type")
    assert "text/csv" in problem["detail"]


def test_invocations_need_the_key_ping_health_and_version_are_open_as_in_mlflow(client: TestClient) -> None:
    assert_problem(client.post("/invocations", json=BODIES["dataframe_records"]), 401, "unauthorized")
    assert client.get("/ping").status_code == 200
    assert client.get("/health").json() == client.get("/ping").json()
    assert client.head("/health").status_code == 200
    version = client.get("/version")
    assert version.status_code == 200
    assert isinstance(client.app, FastAPI)
    assert version.text == client.app.version


def test_ping_is_503_until_a_model_is_loaded() -> None:
    with serve(with_keys(memory_container())) as client:
        assert_problem(client.get("/ping"), 503, "model-unavailable")
        assert_problem(client.get("/health"), 503, "model-unavailable")
        assert_problem(invocations(client, BODIES["dataframe_records"]), 503, "model-unavailable")


def test_more_rows_than_the_limit_is_413() -> None:
    with serve(trained_container(max_rows=2)) as client:
        assert_problem(invocations(client, csv_body(ROWS), CSV), 413, "payload-too-large")
        assert_problem(invocations(client, BODIES["inputs as columns"]), 413, "payload-too-large")


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({"json": {"dataframe_records": [{"nope": 1}]}, "headers": AUTH}, 400, "INVALID_PARAMETER_VALUE"),
        ({"json": {"dataframe_records": [row(x1="one")]}, "headers": AUTH}, 400, "BAD_REQUEST"),
        ({"json": {"dataframe_records": [row()]}}, 401, "UNAUTHENTICATED"),
        ({"content": b"{", "headers": {**AUTH, "Content-Type": "application/json"}}, 400, "BAD_REQUEST"),
    ],
    ids=["no feature", "bad value", "no key", "not json"],
)
def test_invocations_errors_carry_mlflows_error_code_and_message(
    client: TestClient, request_kwargs: dict[str, Any], status: int, code: str
) -> None:
    problem = assert_problem(client.post("/invocations", **request_kwargs), status, problem_slug(status))
    assert problem["error_code"] == code
    assert problem["message"] == problem["detail"]


def test_invocations_while_no_model_is_loaded_is_temporarily_unavailable() -> None:
    with serve(with_keys(memory_container())) as client:
        problem = assert_problem(invocations(client, BODIES["dataframe_records"]), 503, "model-unavailable")
    assert problem["error_code"] == "TEMPORARILY_UNAVAILABLE"


def test_other_routes_keep_plain_problems(client: TestClient) -> None:
    problem = assert_problem(
        client.post("/predict", json={"instances": [{"nope": 1}]}, headers=AUTH), 400, "invalid-input"
    )
    assert "error_code" not in problem
    assert "message" not in problem


def problem_slug(status: int) -> str:
    return {400: "invalid-input", 401: "unauthorized"}[status]
