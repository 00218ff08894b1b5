"""POST /predict and /v1/predict: the answer's shape, for classification and regression."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from predictor.domain.schema import TaskType
from predictor.services.serving.batching import INLINE_ROWS
from tests.unit.http.conftest import AUTH, row, serve, trained_container


@pytest.mark.parametrize("path", ["/predict", "/v1/predict"])
def test_a_good_prediction_has_labels_probabilities_and_the_model(client: TestClient, path: str) -> None:
    response = client.post(path, json={"instances": [row(), row(x1=-3.0, colour="blue")]}, headers=AUTH)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["X-Model-Version"] == "1"
    body = response.json()
    assert set(body) == {"predictions", "model", "request_id"}
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["model"] == {"name": "demo", "version": "1", "alias": "production", "run_id": "run-1"}
    assert [p["label"] for p in body["predictions"]] == ["yes", "no"]
    for prediction in body["predictions"]:
        assert set(prediction) == {"label", "probabilities"}
        assert set(prediction["probabilities"]) == {"yes", "no"}
        assert math.isclose(sum(prediction["probabilities"].values()), 1.0)
        assert prediction["label"] == max(prediction["probabilities"], key=prediction["probabilities"].get)


def test_null_is_accepted_as_a_missing_value(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [row(x2=None, colour=None)]}, headers=AUTH)
    assert response.status_code == 200, response.text


def test_a_category_never_seen_in_training_is_treated_as_missing(client: TestClient) -> None:
    response = client.post("/predict", json={"instances": [row(colour="purple")]}, headers=AUTH)
    assert response.status_code == 200, response.text


def test_a_regression_model_answers_with_values() -> None:
    with serve(trained_container(TaskType.REGRESSION)) as client:
        response = client.post("/predict", json={"instances": [row(), row(x1=2.0)]}, headers=AUTH)

    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [set(p) for p in predictions] == [{"value"}, {"value"}]
    assert all(isinstance(p["value"], float) for p in predictions)
    assert predictions[1]["value"] > predictions[0]["value"]  # the synthetic target grows with x1


def test_a_multiclass_model_gives_every_class_a_probability() -> None:
    with serve(trained_container(TaskType.MULTICLASS)) as client:
        response = client.post("/predict", json={"instances": [row()]}, headers=AUTH)

    assert response.status_code == 200, response.text
    (prediction,) = response.json()["predictions"]
    assert set(prediction["probabilities"]) == {"low", "mid", "high"}
    assert math.isclose(sum(prediction["probabilities"].values()), 1.0)


def test_a_large_batch_is_answered_in_order(client: TestClient) -> None:
    rows = [row(x1=float(i - 100) / 10) for i in range(INLINE_ROWS * 3)]
    response = client.post("/predict", json={"instances": rows}, headers=AUTH)

    assert response.status_code == 200, response.text
    labels = [p["label"] for p in response.json()["predictions"]]
    assert len(labels) == len(rows)
    assert labels[0] == "no"
    assert labels[-1] == "yes"
