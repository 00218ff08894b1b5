"""Output choice (label, probabilities, both) and the binary decision threshold: a setting,
overridden per request, refused where it means nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from predictor.domain.errors import InvalidInput
from predictor.domain.options import PredictionOptions
from predictor.domain.schema import TaskType
from tests.unit.http.conftest import AUTH, assert_problem, row, serve, trained_container

# P(yes) of these rows under the in-memory demo model is about 0.985, 0.0018 and between.
ROWS = [row(), row(x1=-3.0), row(x1=-0.2, colour="blue")]


def predict(client: TestClient, parameters: Any = None, rows: list[dict[str, Any]] = ROWS) -> Any:
    body: dict[str, Any] = {"instances": rows}
    if parameters is not None:
        body["parameters"] = parameters
    return client.post("/predict", json=body, headers=AUTH)


def positive(client: TestClient) -> list[float]:
    return [p["probabilities"]["yes"] for p in predict(client).json()["predictions"]]


def test_both_is_the_default(client: TestClient) -> None:
    for prediction in predict(client).json()["predictions"]:
        assert set(prediction) == {"label", "probabilities"}


@pytest.mark.parametrize(("output", "keys"), [("label", {"label"}), ("probabilities", {"probabilities"})])
def test_a_request_chooses_label_or_probabilities(client: TestClient, output: str, keys: set[str]) -> None:
    response = predict(client, {"output": output})

    assert response.status_code == 200, response.text
    assert all(set(p) == keys for p in response.json()["predictions"])


def test_the_threshold_decides_the_label(client: TestClient) -> None:
    p = positive(client)
    middle = sorted(p)[1]

    labels = [x["label"] for x in predict(client, {"threshold": middle}).json()["predictions"]]

    assert labels == ["yes" if q >= middle else "no" for q in p]
    assert labels.count("yes") == 2  # two rows at or above the threshold: >= is positive


def test_the_setting_is_the_default_threshold_and_a_request_overrides_it() -> None:
    with serve(trained_container(decision_threshold=0.999)) as client:
        strict = [x["label"] for x in predict(client).json()["predictions"]]
        lenient = [x["label"] for x in predict(client, {"threshold": 0.001}).json()["predictions"]]
    assert strict == ["no", "no", "no"]
    assert lenient == ["yes", "yes", "yes"]


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"threshold": 0}, "parameters.threshold"),
        ({"threshold": 1.5}, "parameters.threshold"),
        ({"threshold": "0.3"}, "parameters.threshold"),
        ({"threshold": True}, "parameters.threshold"),
        ({"output": "logits"}, "parameters.output"),
        ({"top_k": 3}, "parameters.top_k"),
        ([0.3], "parameters"),
    ],
)
def test_bad_options_are_400_naming_the_field(client: TestClient, parameters: Any, field: str) -> None:
    body = assert_problem(predict(client, parameters), 400, "invalid-input")
    assert [e["field"] for e in body["errors"]] == [field]


@pytest.mark.parametrize("task", [TaskType.MULTICLASS, TaskType.REGRESSION])
def test_a_threshold_on_a_model_that_is_not_binary_is_refused(task: TaskType) -> None:
    with serve(trained_container(task)) as client:
        body = assert_problem(predict(client, {"threshold": 0.3}), 400, "invalid-input")
    assert body["errors"][0]["field"] == "parameters.threshold"
    assert f"binary classifiers only; this model is {task.value}" in body["detail"]


def test_regression_answers_values_and_refuses_label_output() -> None:
    with serve(trained_container(TaskType.REGRESSION)) as client:
        assert all(set(p) == {"value"} for p in predict(client).json()["predictions"])
        body = assert_problem(predict(client, {"output": "label"}), 400, "invalid-input")
    assert "classifiers only" in body["detail"]


def test_multiclass_label_output_is_the_most_probable_class() -> None:
    with serve(trained_container(TaskType.MULTICLASS)) as client:
        both = predict(client).json()["predictions"]
        labels = predict(client, {"output": "label"}).json()["predictions"]
    assert [p["label"] for p in labels] == [max(p["probabilities"], key=p["probabilities"].get) for p in both]


def test_options_parse_leniently_for_open_parameter_maps() -> None:
    options = PredictionOptions.parse({"content_type": "np", "threshold": 0.25}, "parameters", strict=False)
    assert options.threshold == 0.25
    with pytest.raises(InvalidInput):
        PredictionOptions.parse({"content_type": "np"}, "parameters")
