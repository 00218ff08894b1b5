"""/invocations reads bodies as ``mlflow models serve`` does (issue 17, point 2): each leniency
gives the numbers /predict gives for the rows it means, is counted by reason at /metrics and
logged once per reason; what MLflow refuses stays refused; /predict stays strict."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient

from predictor.adapters.memory import StaticSecretStore
from predictor.config import ADMIN_API_KEYS_SECRET, API_KEYS_SECRET
from predictor.domain.schema import TaskType
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import API_KEY, AUTH, assert_problem, row, serve

NAMES = ["x1", "x2", "colour"]
ROWS = [row(), row(x1=-3.0, x2=None), row(x1=-0.2, colour="purple")]
JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"
ADMIN = {"X-API-Key": "admin-key-0123456789abcdef"}
NAN = float("nan")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    container = memory_container(TaskType.BINARY, prometheus_enabled=True)
    store = StaticSecretStore({API_KEYS_SECRET: [API_KEY], ADMIN_API_KEYS_SECRET: [ADMIN["X-API-Key"]]})
    container.adapters.secrets.override(providers.Object(store))
    train_demo(container)
    with serve(container) as client:
        yield client


def post(client: TestClient, body: Any, content_type: str = JSON) -> Any:
    # json.dumps, as MLflow's clients write bodies: NaN as the bare token.
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/invocations", content=content, headers={**AUTH, "Content-Type": content_type})


def predictions(client: TestClient, body: Any, content_type: str = JSON) -> list[Any]:
    response = post(client, body, content_type)
    assert response.status_code == 200, response.text
    values: list[Any] = response.json()["predictions"]
    return values


def expected(client: TestClient, rows: list[dict[str, Any]]) -> list[float]:
    """P(yes) per row as /predict (strict) answers it."""
    answer = client.post("/predict", json={"instances": rows}, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return [p["probabilities"]["yes"] for p in answer.json()["predictions"]]


def split(rows: list[list[Any]], names: list[str] = NAMES) -> dict[str, Any]:
    return {"dataframe_split": {"columns": names, "data": rows}}


def lenient_counts(client: TestClient) -> dict[str, float]:
    text = client.get("/metrics", headers=ADMIN).text
    prefix = 'predictor_lenient_readings_total{reason="'
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def test_nan_is_missing_as_null_is(client: TestClient) -> None:
    body = split([[NAN, 2.0, "red"], [0.5, NAN, NAN]])
    assert predictions(client, body) == expected(client, [row(x1=None, x2=2.0), row(x2=None, colour=None)])
    assert predictions(client, {"dataframe_records": [row(x1=NAN)]}) == expected(client, [row(x1=None)])


def test_columns_that_are_not_features_are_ignored(client: TestClient) -> None:
    want = expected(client, ROWS)
    data = [[r["x1"], "anything", r["x2"], r["colour"]] for r in ROWS]
    assert predictions(client, split(data, ["x1", "extra", "x2", "colour"])) == want
    assert predictions(client, {"dataframe_records": [{**r, "extra": 1} for r in ROWS]}) == want
    assert (
        predictions(client, {"inputs": {**{n: [r[n] for r in ROWS] for n in NAMES}, "extra": [1] * 3}})
        == want
    )
    frame = pd.DataFrame(ROWS).assign(extra=7)
    assert predictions(client, frame.to_csv(index=False).encode(), CSV) == want


def test_csv_from_to_csv_keeps_its_index_column_and_it_is_ignored(client: TestClient) -> None:
    text = pd.DataFrame(ROWS, index=[10, 11, 12]).to_csv()
    assert text.startswith(",x1,")
    assert predictions(client, text.encode(), CSV) == expected(client, ROWS)


def test_params_that_are_not_predictors_options_are_ignored(client: TestClient) -> None:
    want = expected(client, ROWS)
    assert predictions(client, {"dataframe_records": ROWS, "params": {"invalid_param": "value"}}) == want
    assert predictions(client, {"dataframe_records": ROWS, "params": 5}) == want
    labels = predictions(client, {"dataframe_records": ROWS, "params": {"output": "label", "top_k": 1}})
    assert labels == ["yes" if p >= 0.5 else "no" for p in want]


def test_predictors_own_params_are_still_checked(client: TestClient) -> None:
    response = post(client, {"dataframe_records": ROWS, "params": {"threshold": 2}})
    assert assert_problem(response, 400, "invalid-input")["errors"][0]["field"] == "params.threshold"


def test_numbers_sent_as_strings_are_numbers_and_booleans_are_one_and_zero(client: TestClient) -> None:
    assert predictions(client, split([["0.5", "-0.25", "red"], ["NaN", "2", "red"]])) == expected(
        client, [row(), row(x1=None, x2=2)]
    )
    assert predictions(client, split([[True, False, "red"]])) == expected(client, [row(x1=1.0, x2=0.0)])


def test_a_record_missing_a_key_another_record_has_is_missing_there(client: TestClient) -> None:
    records = [row(), {"x1": 0.5, "colour": "red"}, {"x2": 1.0, "colour": "blue"}]
    want = expected(client, [row(), row(x2=None), row(x1=None, x2=1.0, colour="blue")])
    assert predictions(client, {"dataframe_records": records}) == want


def test_inputs_as_one_object_of_scalars_is_one_row(client: TestClient) -> None:
    assert predictions(client, {"inputs": row(x1=2.0)}) == expected(client, [row(x1=2.0)])
    problem = assert_problem(post(client, {"inputs": row(extra=1)}), 400, "invalid-input")
    assert (problem["error_code"], problem["errors"][0]["field"]) == ("INVALID_PARAMETER_VALUE", "extra")


def test_csv_booleans_are_one_and_zero(client: TestClient) -> None:
    body = b"x1,x2,colour\nTrue,false,red\n"
    assert predictions(client, body, CSV) == expected(client, [row(x1=1.0, x2=0.0)])


def test_split_with_columns_and_no_data_predicts_no_row(client: TestClient) -> None:
    assert predictions(client, split([])) == []
    assert predictions(client, b"x1,x2,colour\n", CSV) == []


def test_unknown_top_level_keys_are_ignored(client: TestClient) -> None:
    assert predictions(client, {"dataframe_records": ROWS, "signature_name": "x"}) == expected(client, ROWS)


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def test_parquet_bodies_give_the_same_numbers(client: TestClient) -> None:
    frame = pd.DataFrame(ROWS, index=[3, 4, 5]).assign(extra="x")
    assert predictions(client, parquet(frame), PARQUET) == expected(client, ROWS)


def test_parquet_keeps_its_types_and_may_hold_no_row(client: TestClient) -> None:
    as_text = pd.DataFrame(ROWS).astype({"x1": str})
    problem = assert_problem(post(client, parquet(as_text), PARQUET), 400, "invalid-input")
    assert (problem["error_code"], problem["errors"][0]["field"]) == ("INVALID_PARAMETER_VALUE", "x1")
    assert predictions(client, parquet(pd.DataFrame(ROWS).iloc[:0]), PARQUET) == []


def test_a_body_that_is_not_parquet_is_400(client: TestClient) -> None:
    problem = assert_problem(post(client, b"PAR1 but not really", PARQUET), 400, "invalid-input")
    assert problem["error_code"] == "BAD_REQUEST"
    assert "Parquet" in problem["detail"]


def test_parquet_without_pyarrow_is_415_naming_the_extra(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = parquet(pd.DataFrame(ROWS))
    # pyarrow absent, as in an image without the train extra: its import fails.
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    problem = assert_problem(post(client, body, PARQUET), 415, "unsupported-media-type")
    assert "predictor[train]" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"dataframe_records": [{"x1": 1.0, "x2": 2.0}]}, "INVALID_PARAMETER_VALUE", "colour"),
        (
            {"dataframe_split": {"columns": ["x1", "x2"], "data": [[1.0, 2.0]]}},
            "INVALID_PARAMETER_VALUE",
            "colour",
        ),
        ({"dataframe_records": []}, "INVALID_PARAMETER_VALUE", None),
        ({"inputs": []}, "INVALID_PARAMETER_VALUE", None),
        ({"dataframe_records": [1, 2]}, "INVALID_PARAMETER_VALUE", None),
        (split([["one", 2.0, "red"]]), "BAD_REQUEST", "x1"),
        (split([["", 2.0, "red"]]), "BAD_REQUEST", "x1"),
        (split([[float("inf"), 2.0, "red"]]), "BAD_REQUEST", "x1"),
        (split([[1.0, 2.0, True]]), "BAD_REQUEST", "colour"),
        (split([[1.0, 2.0]]), "BAD_REQUEST", None),
        (split([[1.0, 2.0, "red", 1.0]], [*NAMES, "x1"]), "INVALID_PARAMETER_VALUE", "x1"),
        ({"dataframe_split": [[1.0, 2.0, "red"]]}, "BAD_REQUEST", "dataframe_split"),
    ],
)
def test_what_mlflow_refuses_stays_refused(
    client: TestClient, body: Any, code: str, field: str | None
) -> None:
    problem = assert_problem(post(client, body), 400, "invalid-input")
    assert problem["error_code"] == code
    assert problem["errors"][0]["field"] == field


def test_predict_stays_strict(client: TestClient) -> None:
    for instances in ([row(x1="0.5")], [row(extra=1)], [{"x1": 0.5, "colour": "red"}], [row(x1=True)]):
        response = client.post("/predict", json={"instances": instances}, headers=AUTH)
        assert_problem(response, 400, "invalid-input")
    response = client.post(
        "/predict",
        content=json.dumps({"instances": [row(x1=NAN)]}).encode(),
        headers={**AUTH, "Content-Type": JSON},
    )
    assert_problem(response, 400, "invalid-input")


def test_each_leniency_is_counted_by_reason(client: TestClient) -> None:
    before = lenient_counts(client)
    predictions(client, split([[NAN, "2", "red"]]))
    predictions(client, split([[NAN, 2.0, "red"]]))
    predictions(client, ROWS_CSV_WITH_INDEX, CSV)
    after = lenient_counts(client)
    gained = {reason: after[reason] - before.get(reason, 0.0) for reason in after}
    assert gained == {**dict.fromkeys(after, 0.0), "nan": 2.0, "numbers_as_strings": 1.0, "csv_index": 1.0}


ROWS_CSV_WITH_INDEX = pd.DataFrame(ROWS).to_csv().encode()


def test_strict_bodies_are_not_counted(client: TestClient) -> None:
    before = lenient_counts(client)
    predictions(client, split([[r[n] for n in NAMES] for r in ROWS]))
    predictions(client, {"dataframe_records": ROWS})
    assert lenient_counts(client) == before


def test_each_reason_is_logged_once_without_the_values_sent(caplog: pytest.LogCaptureFixture) -> None:
    container = memory_container(TaskType.BINARY)
    container.adapters.secrets.override(providers.Object(StaticSecretStore({API_KEYS_SECRET: [API_KEY]})))
    train_demo(container)
    secret_value = 0.123456789
    with serve(container) as fresh, caplog.at_level(logging.WARNING, "predictor.services.serving.leniency"):
        for _ in range(3):
            predictions(fresh, split([[NAN, secret_value, "red"]]))
        predictions(fresh, split([[secret_value, True, "red"]]))
    records = [r for r in caplog.records if r.name == "predictor.services.serving.leniency"]
    assert sorted(str(getattr(r, "reason", "")) for r in records) == ["booleans", "nan"]
    assert all(str(secret_value) not in r.getMessage() + str(r.__dict__) for r in records)
