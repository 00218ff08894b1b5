"""The real Lambda runtime client (awslambdaric, from PyPI) runs our handler in a fresh process
against a local Runtime API: it posts back the API Gateway answers the handler gave, and the
init error of a function whose model cannot load."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.integration.lambda_runtime import RuntimeApi, runtime_api
from tests.servers import clean_env, export_breast_cancer
from tests.unit.awslambda.events import event

pytestmark = pytest.mark.integration

API_KEY = "lambda-runtime-key-0123456789"
HANDLER = "predictor.entrypoints.lambda_handler.handler"
WAIT_S = 120


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_breast_cancer(tmp_path_factory.mktemp("lambda"), seed=5)


@contextmanager
def bootstrap(
    api: RuntimeApi, work: Path, output: list[str] | None = None, **settings: str
) -> Iterator[subprocess.Popen[str]]:
    """``python -m awslambdaric <handler>``, as Lambda's Python runtime starts a function;
    what it wrote (stdout and stderr) is appended to ``output`` once it is stopped."""
    env = {
        **clean_env(),
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": "predictor",
        "LAMBDA_TASK_ROOT": str(work),
        "PREDICTOR_API_KEYS": API_KEY,
        "PREDICTOR_METRICS_SINK": "none",
        **settings,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "awslambdaric", HANDLER],
        env=env,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.kill()
        written, _ = process.communicate(timeout=30)
        if output is not None:
            output.append(written)


def predict_event(
    exported: Path, instances: list[dict[str, Any]], key: str | None = API_KEY, path: str = "/predict"
) -> dict[str, Any]:
    given = event("rest_v1_predict")
    given["body"] = json.dumps({"instances": instances})
    given["path"] = path
    if key is not None:
        given["headers"]["X-API-Key"] = key
        given["multiValueHeaders"]["X-API-Key"] = [key]
    return given


def a_row(exported: Path) -> dict[str, Any]:
    example = json.loads((exported / "input_example.json").read_text())  # MLflow's split form
    return dict(zip(example["columns"], example["data"][0], strict=True))


def test_the_runtime_posts_back_the_handlers_answers(exported: Path, tmp_path: Path) -> None:
    with runtime_api() as api, bootstrap(api, tmp_path, PREDICTOR_MODEL_DIR=str(exported)):
        good = api.invoke(predict_event(exported, [a_row(exported), a_row(exported)]))
        bad = api.invoke(predict_event(exported, [{"no such feature": 1}]))
        answered = api.wait_for(good, WAIT_S)
        refused = api.wait_for(bad, WAIT_S)

    assert answered["statusCode"] == 200, answered
    assert answered["headers"]["content-type"] == "application/json"
    assert answered["headers"]["x-request-id"] == "rest-v1-predict"
    assert answered["headers"]["x-model-version"] == "1"
    assert len(json.loads(answered["body"])["predictions"]) == 2
    assert refused["statusCode"] == 400
    problem = json.loads(refused["body"])
    assert problem["type"] == "https://predictor.dev/problems/invalid-input"
    assert api.errors == {}


def test_a_model_that_cannot_load_is_reported_as_an_init_error(tmp_path: Path) -> None:
    not_an_export = tmp_path / "model"
    not_an_export.mkdir()
    with runtime_api() as api, bootstrap(api, tmp_path) as process:
        posted = api.wait_for_init_error(WAIT_S)
        process.wait(timeout=WAIT_S)

    assert posted["errorType"] == "InvalidModel"
    assert "model" in posted["errorMessage"]
    assert API_KEY not in json.dumps(posted)


def test_no_api_key_reaches_the_functions_logs(exported: Path, tmp_path: Path) -> None:
    near_miss = API_KEY[:-1] + "X"
    rows = [a_row(exported)]
    in_query = predict_event(exported, rows, key=None)
    in_query["queryStringParameters"] = {"api_key": API_KEY}
    in_query["multiValueQueryStringParameters"] = {"api_key": [API_KEY]}
    events = [
        predict_event(exported, rows),  # 200
        predict_event(exported, rows, key=near_miss),  # 401
        predict_event(exported, [{"bad": API_KEY}]),  # 400, the key as a field name
        predict_event(exported, rows, path=f"/no-such-route/{API_KEY}"),  # 404
        in_query,  # 401, the key in the query string
    ]
    output: list[str] = []
    with runtime_api() as api, bootstrap(api, tmp_path, output, PREDICTOR_MODEL_DIR=str(exported)):
        answers = [api.wait_for(api.invoke(given), WAIT_S) for given in events]

    assert [answer["statusCode"] for answer in answers] == [200, 401, 400, 404, 401]
    (written,) = output
    assert '"event": "request"' in written or '"event":"request"' in written  # the access lines are there
    assert API_KEY not in written
    assert near_miss not in written
