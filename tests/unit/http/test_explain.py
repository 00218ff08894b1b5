"""POST /v1/explain: per-row feature contributions and base value adding up to the margin."""

from __future__ import annotations

import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from predictor.domain.schema import TaskType
from tests.unit.http.conftest import AUTH, assert_problem, row, serve, trained_container

ROWS = [row(), row(x1=-3.0, x2=None), row(x1=-0.2, colour="purple")]


def explain(client: TestClient, body: Any) -> Any:
    return client.post("/v1/explain", json=body, headers=AUTH)


def test_binary_contributions_add_up_to_the_log_odds_of_predict(client: TestClient) -> None:
    response = explain(client, {"instances": ROWS})
    probabilities = client.post("/predict", json={"instances": ROWS}, headers=AUTH).json()["predictions"]

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"]["version"] == "1"
    assert response.headers["X-Model-Version"] == "1"
    for explanation, prediction in zip(body["explanations"], probabilities, strict=True):
        assert list(explanation["contributions"]) == ["x1", "x2", "colour"]
        margin = sum(explanation["contributions"].values()) + explanation["base_value"]
        assert explanation["margin"] == pytest.approx(margin, abs=1e-9)
        assert 1 / (1 + math.exp(-margin)) == pytest.approx(prediction["probabilities"]["yes"], abs=1e-9)


def test_a_linear_model_contributes_weight_times_value(client: TestClient) -> None:
    """The in-memory model is linear: a missing value contributes nothing, and the contribution
    of a feature moves in proportion to its value."""
    one, two, missing = explain(client, {"instances": [row(x1=1.0), row(x1=2.0), row(x1=None)]}).json()[
        "explanations"
    ]
    assert missing["contributions"]["x1"] == 0.0
    assert two["contributions"]["x1"] == pytest.approx(2 * one["contributions"]["x1"])
    assert one["base_value"] == two["base_value"]


def test_multiclass_explains_every_class() -> None:
    with serve(trained_container(TaskType.MULTICLASS)) as client:
        (explanation,) = explain(client, {"instances": ROWS[:1]}).json()["explanations"]
        (prediction,) = client.post("/predict", json={"instances": ROWS[:1]}, headers=AUTH).json()[
            "predictions"
        ]
    classes = ["high", "low", "mid"]
    assert sorted(explanation["contributions"]) == classes
    margins = {
        c: sum(explanation["contributions"][c].values()) + explanation["base_value"][c] for c in classes
    }
    assert margins == pytest.approx(explanation["margin"])
    total = sum(math.exp(m) for m in margins.values())
    assert {c: math.exp(m) / total for c, m in margins.items()} == pytest.approx(prediction["probabilities"])


def test_regression_contributions_add_up_to_the_value() -> None:
    with serve(trained_container(TaskType.REGRESSION)) as client:
        explanations = explain(client, {"instances": ROWS}).json()["explanations"]
        values = [
            p["value"]
            for p in client.post("/predict", json={"instances": ROWS}, headers=AUTH).json()["predictions"]
        ]
    assert [e["margin"] for e in explanations] == pytest.approx(values)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"instances": [row(x1="one")]}, "x1"),
        ({"instances": [row()], "parameters": {"output": "label"}}, "parameters"),
        ({"rows": [row()]}, "instances"),
    ],
)
def test_bad_requests_are_400_problems(client: TestClient, body: Any, field: str) -> None:
    problem = assert_problem(explain(client, body), 400, "invalid-input")
    assert problem["errors"][0]["field"] == field


def test_explain_needs_the_key_and_respects_the_row_limit() -> None:
    with serve(trained_container(max_rows=2)) as client:
        assert_problem(client.post("/v1/explain", json={"instances": ROWS}), 401, "unauthorized")
        assert_problem(explain(client, {"instances": ROWS}), 413, "payload-too-large")
