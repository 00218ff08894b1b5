"""Open Inference Protocol (KServe V2): health, metadata, infer with per-feature tensors or one
matrix, giving /predict's numbers; errors as problem+json with "error"."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from predictor.domain.schema import TaskType
from tests.unit.builders import memory_container
from tests.unit.http.conftest import AUTH, assert_problem, row, serve, trained_container, with_keys

ROWS = [row(), row(x1=-3.0, x2=None), row(x1=-0.2, colour="blue")]
CODES = {"blue": 0, "green": 1, "red": 2}
INFER = "/v2/models/demo/infer"


def feature_tensors(rows: list[dict[str, Any]] = ROWS) -> list[dict[str, Any]]:
    n = len(rows)
    return [
        {"name": "x1", "shape": [n], "datatype": "FP32", "data": [r["x1"] for r in rows]},
        {"name": "x2", "shape": [n, 1], "datatype": "FP64", "data": [[r["x2"]] for r in rows]},
        {"name": "colour", "shape": [n], "datatype": "BYTES", "data": [r["colour"] for r in rows]},
    ]


def matrix_tensor(rows: list[dict[str, Any]] = ROWS, nested: bool = False) -> list[dict[str, Any]]:
    grid = [[r["x1"], r["x2"], CODES[r["colour"]]] for r in rows]
    data: list[Any] = grid if nested else [v for line in grid for v in line]
    return [{"name": "input-0", "shape": [len(rows), 3], "datatype": "FP32", "data": data}]


def infer(client: TestClient, body: Any, path: str = INFER, **headers: str) -> Any:
    return client.post(path, json=body, headers={**AUTH, **headers})


def predicted(client: TestClient, rows: list[dict[str, Any]] = ROWS) -> list[dict[str, Any]]:
    predictions: list[dict[str, Any]] = client.post(
        "/predict", json={"instances": rows}, headers=AUTH
    ).json()["predictions"]
    return predictions


def outputs(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {o["name"]: o for o in response.json()["outputs"]}


@pytest.mark.parametrize(
    "inputs",
    [feature_tensors(), matrix_tensor(), matrix_tensor(nested=True)],
    ids=["features", "matrix", "nested"],
)
def test_infer_gives_predict_numbers(client: TestClient, inputs: list[dict[str, Any]]) -> None:
    response = infer(client, {"id": "req-7", "inputs": inputs})
    answer = response.json()

    assert (answer["model_name"], answer["model_version"], answer["id"]) == ("demo", "1", "req-7")
    out = outputs(response)
    expected = predicted(client)
    assert out["label"] == {
        "name": "label",
        "datatype": "BYTES",
        "shape": [3],
        "data": [p["label"] for p in expected],
    }
    probabilities = out["probabilities"]
    assert (probabilities["datatype"], probabilities["shape"]) == ("FP64", [3, 2])
    assert probabilities["data"] == [
        q for p in expected for q in (p["probabilities"]["no"], p["probabilities"]["yes"])
    ]


def test_the_id_defaults_to_the_request_id(client: TestClient) -> None:
    response = infer(client, {"inputs": feature_tensors()}, **{"X-Request-ID": "abc-1"})
    assert response.json()["id"] == "abc-1"


def test_requested_outputs_and_parameters_choose_what_comes_back(client: TestClient) -> None:
    only_label = outputs(infer(client, {"inputs": feature_tensors(), "outputs": [{"name": "label"}]}))
    by_parameter = outputs(
        infer(client, {"inputs": feature_tensors(), "parameters": {"output": "probabilities"}})
    )
    strict = outputs(infer(client, {"inputs": feature_tensors(), "parameters": {"threshold": 0.999}}))
    # Extension parameters of other clients (MLServer's content_type) are ignored.
    extended = infer(client, {"inputs": feature_tensors(), "parameters": {"content_type": "pd"}})

    assert list(only_label) == ["label"]
    assert list(by_parameter) == ["probabilities"]
    assert strict["label"]["data"] == ["no", "no", "no"]
    assert extended.status_code == 200


def test_a_versioned_path_works_for_the_serving_version_only(client: TestClient) -> None:
    assert infer(client, {"inputs": feature_tensors()}, "/v2/models/demo/versions/1/infer").status_code == 200
    body = assert_problem(
        infer(client, {"inputs": feature_tensors()}, "/v2/models/demo/versions/9/infer"),
        404,
        "model-not-found",
    )
    assert body["error"] == body["detail"]


def test_regression_answers_a_value_tensor() -> None:
    with serve(trained_container(TaskType.REGRESSION)) as client:
        out = outputs(infer(client, {"inputs": feature_tensors()}))
        expected = [p["value"] for p in predicted(client)]
    assert out == {"value": {"name": "value", "datatype": "FP64", "shape": [3], "data": expected}}


def test_model_metadata_lists_inputs_and_outputs(client: TestClient) -> None:
    response = client.get("/v2/models/demo", headers=AUTH)

    assert response.status_code == 200
    metadata = response.json()
    assert (metadata["name"], metadata["versions"], metadata["platform"]) == ("demo", ["1"], "xgboost")
    assert metadata["inputs"] == [
        {"name": "x1", "datatype": "FP32", "shape": [-1]},
        {"name": "x2", "datatype": "FP32", "shape": [-1]},
        {
            "name": "colour",
            "datatype": "BYTES",
            "shape": [-1],
            "parameters": {"categories": ["blue", "green", "red"]},
        },
    ]
    assert [o["name"] for o in metadata["outputs"]] == ["label", "probabilities"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/v2/health/live").status_code == 200
    assert client.get("/v2/health/ready").status_code == 200
    assert client.get("/v2/models/demo/ready").json() == {"name": "demo", "ready": True}
    assert client.get("/v2", headers=AUTH).json()["name"] == "predictor"
    assert_problem(client.get("/v2/models/other/ready"), 404, "model-not-found")


def test_nothing_is_ready_before_a_model_loads() -> None:
    with serve(with_keys(memory_container())) as client:
        assert client.get("/v2/health/live").status_code == 200
        assert_problem(client.get("/v2/health/ready"), 503, "model-unavailable")
        assert_problem(client.get("/v2/models/demo/ready"), 503, "model-unavailable")
        assert_problem(infer(client, {"inputs": feature_tensors()}), 503, "model-unavailable")


def test_metadata_and_infer_need_the_key(client: TestClient) -> None:
    assert_problem(client.get("/v2/models/demo"), 401, "unauthorized")
    assert_problem(client.post(INFER, json={"inputs": feature_tensors()}), 401, "unauthorized")


def tensor(name: str, shape: list[int], datatype: str, data: Any) -> dict[str, Any]:
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}


def with_tensor(replacement: dict[str, Any]) -> list[dict[str, Any]]:
    return [replacement if t["name"] == replacement["name"] else t for t in feature_tensors()]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inputs": []}, "inputs"),
        ({}, "inputs"),
        ({"inputs": feature_tensors(), "model_name": "other"}, "model_name"),
        ({"inputs": feature_tensors(), "model_name": 7}, "model_name"),
        ({"inputs": feature_tensors(), "id": 7}, "id"),
        ({"inputs": feature_tensors(), "outputs": [{"name": "logits"}]}, "outputs"),
        ({"inputs": feature_tensors(), "parameters": {"threshold": 3}}, "parameters.threshold"),
        ({"inputs": ["x1"]}, "inputs[0]"),
        ({"inputs": with_tensor(tensor("x1", [2], "FP32", [1, 2, 3]))}, "x1.data"),
        ({"inputs": with_tensor(tensor("x1", [3], "FP99", [1, 2, 3]))}, "x1.datatype"),
        ({"inputs": with_tensor(tensor("x1", [3], "BYTES", ["1", "2", "3"]))}, "x1"),
        ({"inputs": with_tensor(tensor("colour", [3], "FP32", [0, 1, 2]))}, "colour"),
        ({"inputs": with_tensor(tensor("x1", [1, 3], "FP32", [1, 2, 3]))}, "x1"),
        ({"inputs": with_tensor(tensor("x1", [3], "FP32", [1, "two", 3]))}, "x1"),
        ({"inputs": with_tensor(tensor("x1", [2], "FP32", [1, 2]))}, "x1"),
        ({"inputs": feature_tensors()[:2]}, "colour"),
        ({"inputs": [*feature_tensors(), tensor("x9", [3], "FP32", [1, 2, 3])]}, "x9"),
        ({"inputs": [tensor("input-0", [1, 2], "FP32", [1, 2])]}, "input-0"),
        ({"inputs": [tensor("input-0", [1, 3], "BYTES", ["1", "2", "red"])]}, "input-0"),
        ({"inputs": [tensor("input-0", [1, 3], "FP32", [1, 2, 7])]}, "colour"),
    ],
)
def test_infer_errors_are_400_problems_with_error(client: TestClient, body: Any, field: str | None) -> None:
    problem = assert_problem(infer(client, body), 400, "invalid-input")
    assert problem["errors"][0]["field"] == field
    assert problem["error"] == problem["detail"]


def test_bad_json_and_a_wrong_model_are_refused(client: TestClient) -> None:
    assert_problem(client.post(INFER, content=b"{", headers=AUTH), 400, "invalid-input")
    wrong = assert_problem(
        infer(client, {"inputs": feature_tensors()}, "/v2/models/other/infer"), 404, "model-not-found"
    )
    assert "serves model 'demo'" in wrong["error"]


def test_the_server_metadata_routes_401_carries_the_v2_error_member(client: TestClient) -> None:
    problem = assert_problem(client.get("/v2"), 401, "unauthorized")
    assert problem["error"] == problem["detail"]


def test_kserves_body_fields_and_unknown_top_level_fields_are_accepted(client: TestClient) -> None:
    body = {"inputs": feature_tensors(), "model_name": "demo", "model_version": "1", "signature": "x"}
    response = client.post("/v2/models/demo/infer", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["model_name"] == "demo"


def test_a_model_version_in_the_body_must_be_the_paths() -> None:
    body = {"inputs": feature_tensors(), "model_version": "2"}
    with serve(trained_container()) as client:
        problem = assert_problem(
            client.post("/v2/models/demo/versions/1/infer", json=body, headers=AUTH), 400, "invalid-input"
        )
    assert "is '2', but the path names '1'" in problem["error"]
