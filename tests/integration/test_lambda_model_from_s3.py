"""A Lambda function whose model is an export in S3 (``PREDICTOR_MODEL_DIR=s3://…``): fetched at
init from moto's server on loopback and served; when S3 cannot be read, the model baked into the
zip is served and the fallback alerted; with nothing baked, init fails with the reason."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.aws import BUCKET, fake_aws_env, moto_server, s3_client, server_env
from tests.servers import clean_env, export_breast_cancer

pytestmark = pytest.mark.integration

KEY = "lambda-s3-key-0123456789"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lambda"
INVOKE = """
import json, sys
from predictor.entrypoints.lambda_handler import handler

class Context:
    aws_request_id = "s3-model-1"

print(json.dumps(handler(json.loads(sys.stdin.read()), Context())))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_breast_cancer(tmp_path_factory.mktemp("s3-model"))


def predict_event(exported: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / "rest_v1_predict.json").read_text())
    example = json.loads((exported / "input_example.json").read_text())
    row = dict(zip(example["columns"], example["data"][0], strict=True))
    event["body"] = json.dumps({"instances": [row]})
    event["headers"]["X-API-Key"] = KEY
    event["multiValueHeaders"]["X-API-Key"] = [KEY]
    return event


def invoke(env: dict[str, str], event: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", INVOKE],
        env=env,
        cwd=cwd,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def function_env(endpoint: str, model_dir: str, task_root: Path) -> dict[str, str]:
    env = {**clean_env(), **server_env(endpoint)}
    env |= {"PREDICTOR_MODEL_DIR": model_dir, "PREDICTOR_API_KEYS": KEY, "LAMBDA_TASK_ROOT": str(task_root)}
    env |= {"TMPDIR": str(task_root.parent / "tmp"), "PREDICTOR_METRICS_SINK": "none"}
    (task_root.parent / "tmp").mkdir(exist_ok=True)
    return env


def test_an_export_in_s3_is_fetched_at_init_and_served(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with moto_server(BUCKET) as endpoint:
        fake_aws_env(monkeypatch, endpoint)
        client = s3_client(endpoint)
        for path in exported.iterdir():
            client.upload_file(str(path), BUCKET, f"models/demo/{path.name}")
        env = function_env(endpoint, f"s3://{BUCKET}/models/demo", tmp_path / "task")
        done = invoke(env, predict_event(exported), tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["model"]["version"] == "1"
    assert (tmp_path / "tmp" / "predictor-model" / "version.json").is_file()


def test_when_s3_cannot_be_read_the_baked_model_is_served_and_the_fallback_alerted(
    exported: Path, tmp_path: Path
) -> None:
    task_root = tmp_path / "task"
    shutil.copytree(exported, task_root / "model")
    with moto_server(BUCKET) as endpoint:
        env = function_env(endpoint, f"s3://{BUCKET}/models/none-here", task_root)
        done = invoke(env, predict_event(exported), tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 200, answer
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    unreachable = [line for line in lines if line.get("event") == "model source unreachable"]
    assert unreachable
    assert unreachable[0]["source"] == f"s3://{BUCKET}/models/none-here"
    assert any(line.get("alert") == "serving a fallback version" for line in lines), lines


def test_with_nothing_baked_an_unreadable_export_fails_init_with_the_reason(
    exported: Path, tmp_path: Path
) -> None:
    with moto_server(BUCKET) as endpoint:
        env = function_env(endpoint, f"s3://{BUCKET}/models/none-here", tmp_path / "task")
        done = invoke(env, predict_event(exported), tmp_path)

    assert done.returncode != 0
    assert f"s3://{BUCKET}/models/none-here" in done.stderr
    assert "Traceback" in done.stderr  # init fails: Lambda reports the init error
