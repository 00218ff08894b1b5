"""MLflow's error matrix: `mlflow models serve --env-manager local` and `predictor serve`, side by
side on one exported model (the demo, Breast Cancer), get the same requests: the request shapes
and error cases MLflow's own tests/pyfunc/test_scoring_server.py asserts (bad JSON, no or several
input formats, wrong content types and parameters, CSV, split / records / instances / inputs,
params) and the leniencies of issue 17. Status and `error_code` agree case for case, and the
predictions of every 200 agree, except for the deliberate differences listed in DELIBERATE (and
in docs/api.md, "Deliberate differences from `mlflow models serve`"), whose answers on both sides
are checked too, so the list stays true."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.servers import clean_env, export_breast_cancer, free_port, local_env, running, wait_ready

pytestmark = pytest.mark.integration

API_KEY = "matrix-key-0123456789abcdef"
JSON = "application/json"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"


@dataclass(frozen=True)
class Case:
    content_type: str | None
    body: bytes


Answer = tuple[int, str | None]  # the status and the error_code (None: not given)


def dumps(document: object) -> bytes:
    return json.dumps(document).encode()  # as MLflow's clients write: NaN as the bare token


def parquet_of(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def cases(columns: list[str], row: list[float]) -> dict[str, Case]:
    """Every request of the matrix, by name, for a model of ``columns`` and a valid ``row``."""
    frame = pd.DataFrame([row, row], columns=columns)
    record = dict(zip(columns, row, strict=True))
    missing = {k: v for k, v in record.items() if k != columns[0]}
    nan_row = [float("nan"), *row[1:]]

    def split(data: list[list[Any]], names: list[str] = columns, **more: Any) -> Case:
        return Case(JSON, dumps({"dataframe_split": {"columns": names, "data": data}, **more}))

    def json_case(document: object) -> Case:
        return Case(JSON, dumps(document))

    return {
        # The shapes MLflow's tests score with 200.
        "split": split([row]),
        "split with index": Case(
            JSON, dumps({"dataframe_split": {"columns": columns, "data": [row], "index": [7]}})
        ),
        "split, charset=UTF-8": Case(f"{JSON}; charset=UTF-8", split([row]).body),
        "records": json_case({"dataframe_records": [record]}),
        "instances as records": json_case({"instances": [record]}),
        "inputs as columns": json_case({"inputs": {c: [v] for c, v in record.items()}}),
        "inputs as records": json_case({"inputs": [record]}),
        "csv": Case(CSV, frame.to_csv(index=False).encode()),
        "parquet": Case(PARQUET, parquet_of(frame)),
        "unknown params": split([row], params={"invalid_param": "value"}),
        # predictor's own params (MLflow's xgboost flavor takes none, and ignores them).
        "params output label": split([row], params={"output": "label"}),
        "params threshold out of range": split([row], params={"threshold": 2}),
        # Issue 17's leniencies.
        "nan in split": split([nan_row]),
        "nan in records": json_case({"dataframe_records": [dict(zip(columns, nan_row, strict=True))]}),
        "null in split": split([[None, *row[1:]]]),
        "extra column, split": split([[*row, 1.0]], [*columns, "extra"]),
        "extra column, records": json_case({"dataframe_records": [{**record, "extra": 1.0}]}),
        "extra column, csv": Case(CSV, frame.assign(extra=1.0).to_csv(index=False).encode()),
        "csv with its index": Case(CSV, frame.to_csv().encode()),
        "nan cell in csv": Case(CSV, frame.assign(**{columns[0]: float("nan")}).to_csv(index=False).encode()),
        "params not an object": split([row], params=5),
        "numbers as strings": split([[str(v) for v in row]]),
        "booleans": split([[True, *row[1:]]]),
        "a record missing a key": json_case({"dataframe_records": [record, missing]}),
        "inputs as one row": json_case({"inputs": record}),
        "split with no data": split([]),
        "csv header alone": Case(CSV, frame.iloc[:0].to_csv(index=False).encode()),
        "booleans in csv": Case(CSV, frame.assign(**{columns[0]: "True"}).to_csv(index=False).encode()),
        "numbers as strings, records": json_case(
            {"dataframe_records": [{k: str(v) for k, v in record.items()}]}
        ),
        "nan in inputs as columns": Case(JSON, dumps({"inputs": {c: [float("nan")] for c in columns}})),
        "parquet with no row": Case(PARQUET, parquet_of(frame.iloc[:0])),
        "parquet with an extra column": Case(PARQUET, parquet_of(frame.assign(extra="x"))),
        "parquet with a float column with nulls": Case(
            PARQUET, parquet_of(frame.assign(**{columns[0]: [np.nan, 1.0]}))
        ),
        "parquet with a 64-bit integer column": Case(
            PARQUET, parquet_of(frame.assign(**{columns[0]: [1, 2]}))
        ),
        "unknown key beside the format": json_case(
            {"dataframe_split": {"columns": columns, "data": [row]}, "x": 1}
        ),
        # What MLflow's tests (and its server) refuse.
        "not json": Case(JSON, b"this is,,,, not valid json"),
        "json number": Case(JSON, b"1"),
        "json string": Case(JSON, b'"1"'),
        "json list": Case(JSON, b"[1]"),
        "no input format": json_case({"not": "a serialized dataframe"}),
        "two input formats": json_case({"dataframe_records": [], "dataframe_split": {"data": []}}),
        "split given records": json_case({"dataframe_split": [record]}),
        "records given split": json_case({"dataframe_records": {"columns": columns, "data": [row]}}),
        "split, index and data disagree": json_case(
            {"dataframe_split": {"index": [1, 2], "data": [[1], [2], [3]]}}
        ),
        "split, rows too short": split([row[:3]]),
        "split, data not a list": json_case({"dataframe_split": {"columns": columns, "data": 5}}),
        "split, no data and no columns": json_case({"dataframe_split": {"data": []}}),
        "a feature no record has": json_case({"dataframe_records": [missing]}),
        "a feature no column has": split([row[1:]], columns[1:]),
        "csv without a feature": Case(CSV, frame.drop(columns=[columns[0]]).to_csv(index=False).encode()),
        "no records": json_case({"dataframe_records": []}),
        "no instances": json_case({"instances": []}),
        "no inputs": json_case({"inputs": []}),
        "records that are not objects": json_case({"dataframe_records": [1, 2]}),
        "inputs as one row, a key that is no feature": json_case({"inputs": {**record, "extra": 1}}),
        "a column given twice": split([[*row, row[0]]], [*columns, columns[0]]),
        "parquet without a feature": Case(PARQUET, parquet_of(frame.drop(columns=[columns[0]]))),
        "parquet, a feature of strings": Case(PARQUET, parquet_of(frame.astype({columns[0]: str}))),
        "parquet, a feature of booleans": Case(
            PARQUET, parquet_of(frame.assign(**{columns[0]: [True, False]}))
        ),
        "split, rows as objects": json_case({"dataframe_split": {"columns": columns, "data": [record]}}),
        "split, a key that is not a field": json_case(
            {"dataframe_split": {"columns": columns, "data": [row], "dtype": 1}}
        ),
        "a list for a number": split([[[1.0], *row[1:]]]),
        "a string that is not a number": split([["abc", *row[1:]]]),
        "infinity": Case(
            JSON,
            json.dumps(
                {"dataframe_split": {"columns": columns, "data": [[float("inf"), *row[1:]]]}}
            ).encode(),
        ),
        "empty csv": Case(CSV, b""),
        "csv value that is not a number": Case(
            CSV, frame.assign(**{columns[0]: "abc"}).to_csv(index=False).encode()
        ),
        "not parquet": Case(PARQUET, b"not parquet"),
        "not utf-8": Case(JSON, b'{"dataframe_split": "\xff"}'),
        # Content types.
        "application/x-parquet": Case("application/x-parquet", parquet_of(frame)),
        "an unsupported content type": Case("not_a_supported_content_type", split([row]).body),
        "text/plain": Case("text/plain", split([row]).body),
        "charset latin-1": Case(f"{JSON}; charset=latin-1", split([row]).body),
        "an unknown content type parameter": Case(f"{JSON}; something=something", split([row]).body),
        "no content type": Case(None, split([row]).body),
        # With no key: predictor's route needs one (the others are sent with the key).
        "no api key": split([row]),
    }


# The deliberate differences (docs/api.md): case -> (MLflow's answer, predictor's answer, why).
UNSUPPORTED: tuple[Answer, Answer] = ((415, None), (415, "BAD_REQUEST"))
WHY_415 = "predictor answers every error as problem+json with an error_code; MLflow's 415 is plain text"
DELIBERATE: dict[str, tuple[Answer, Answer, str]] = {
    "no api key": ((200, None), (401, "UNAUTHENTICATED"), "predictor's scoring route needs an API key"),
    "application/x-parquet": (*UNSUPPORTED, WHY_415),
    "an unsupported content type": (*UNSUPPORTED, WHY_415),
    "text/plain": (*UNSUPPORTED, WHY_415),
    "charset latin-1": (*UNSUPPORTED, WHY_415),
    "an unknown content type parameter": (*UNSUPPORTED, WHY_415),
    "no content type": ((500, None), (415, "BAD_REQUEST"), "a missing Content-Type is the client's to fix"),
    "params output label": (
        (200, None),
        (200, None),
        "predictor's params.output chooses labels; MLflow ignores it",
    ),
    "parquet with a 64-bit integer column": (
        (400, "INVALID_PARAMETER_VALUE"),
        (200, None),
        "predictor reads integers for a numeric feature, as in JSON; MLflow calls int64 -> double unsafe",
    ),
    "split, rows as objects": (
        (200, None),
        (400, "BAD_REQUEST"),
        "dataframe_split's rows are lists; pandas happens to read objects too",
    ),
    "params threshold out of range": (
        (200, None),
        (400, "BAD_REQUEST"),
        "predictor checks its own params; MLflow ignores params its model does not take",
    ),
}


@dataclass
class Servers:
    mlflow: str
    predictor: str
    cases: dict[str, Case]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    work = tmp_path_factory.mktemp("mlflow-matrix")
    exported = export_breast_cancer(work)
    example = json.loads((exported / "serving_input_example.json").read_text())["dataframe_split"]
    bin_dir = Path(sys.executable).parent
    # `mlflow models serve --env-manager local` starts uvicorn through the shell: its bin first.
    env = {**clean_env(), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    mlflow_port, predictor_port = free_port(), free_port()
    log = work / "mlflow-serve.log"
    command = [str(bin_dir / "mlflow"), "models", "serve", "-m", str(exported), "--env-manager", "local"]
    command += ["-h", "127.0.0.1", "-p", str(mlflow_port)]
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        mlflow_url = f"http://127.0.0.1:{mlflow_port}"
        wait_ready(mlflow_url, process, timeout=120, path="/ping", log=log)
        predictor_env = local_env(work, PREDICTOR_API_KEYS=API_KEY)
        args = ["serve", "--model-dir", str(exported), "--port", str(predictor_port)]
        with running(args, predictor_env, work, predictor_port) as (predictor_url, _):
            yield Servers(mlflow_url, predictor_url, cases(example["columns"], example["data"][0]))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def ask(base_url: str, case: Case, key: str | None) -> tuple[Answer, list[float] | None]:
    headers = {} if case.content_type is None else {"Content-Type": case.content_type}
    if key is not None:
        headers["X-API-Key"] = key
    response = httpx.post(f"{base_url}/invocations", content=case.body, headers=headers, timeout=30)
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("error_code") if isinstance(body, dict) else None
    predictions = body["predictions"] if response.status_code == 200 and isinstance(body, dict) else None
    return (response.status_code, code), predictions


NAMES = list(cases(["a", "b", "c", "d"], [1.0, 2.0, 3.0, 4.0]))


@pytest.mark.parametrize("name", NAMES)
def test_predictor_answers_as_mlflow_models_serve_does(servers: Servers, name: str) -> None:
    case = servers.cases[name]
    mlflow_answer, mlflow_predictions = ask(servers.mlflow, case, None)
    predictor_answer, predictor_predictions = ask(
        servers.predictor, case, None if name == "no api key" else API_KEY
    )
    if name in DELIBERATE:
        expected_mlflow, expected_predictor, why = DELIBERATE[name]
        assert (mlflow_answer, predictor_answer) == (expected_mlflow, expected_predictor), why
        return
    assert predictor_answer == mlflow_answer
    if mlflow_predictions is not None:
        assert predictor_predictions == pytest.approx(mlflow_predictions, rel=1e-6, abs=1e-9)


def test_every_deliberate_difference_is_a_case_and_in_the_docs() -> None:
    assert set(DELIBERATE) <= set(NAMES)
    api = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    assert "### Deliberate differences from `mlflow models serve`" in api
