"""docs/aws.md's walk from an empty account to a served model, run as written against moto's
server on loopback: every block marked ``<!-- walkthrough -->``, in order, in one shell. Then the
one step moto cannot take, the call through API Gateway: the zip the walk built and uploaded is
unpacked and its handler, run by the Python it was built for with nothing else on its path, gets
the HTTP API event of that call, with the function's environment as moto holds it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.aws import REGION, fake_aws_env, moto_server, server_env
from tests.servers import clean_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MARK = "<!-- walkthrough -->"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def walk_script() -> str:
    text = (ROOT / "docs" / "aws.md").read_text()
    blocks = re.findall(re.escape(MARK) + r"\n```bash\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 7, "docs/aws.md lost its walkthrough blocks"
    return "set -euo pipefail\n" + "".join(blocks)


def http_api_event(body: str, key: str | None) -> dict[str, Any]:
    headers = {"content-type": "application/json", "host": "abc123.execute-api.us-east-1.amazonaws.com"}
    if key is not None:
        headers["x-api-key"] = key
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/predict",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": {"method": "POST", "path": "/predict", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "walkthrough-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "02/Dec/2026:10:00:00 +0000",
            "timeEpoch": 1796205600000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


INVOKE = """
import json, sys
sys.path.insert(0, ".")
from predictor.entrypoints.lambda_handler import handler

class Context:
    aws_request_id = "walkthrough-1"
    function_name = "predictor"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:predictor"

    def get_remaining_time_in_millis(self):
        return 30000

answers = [handler(json.loads(line), Context()) for line in sys.stdin]
print(json.dumps(answers))
"""


def invoke_built_function(package: Path, environment: dict[str, str], events: list[dict[str, Any]]) -> Any:
    """The function as Lambda runs it: its code directory as working directory and only path,
    the function's variables and the runtime's own ones; -S and -E keep this venv out."""
    env = {key: value for key, value in environment.items() if not key.startswith("PYTHON")}
    env |= {"AWS_LAMBDA_FUNCTION_NAME": "predictor", "LAMBDA_TASK_ROOT": str(package)}
    stdin = "".join(json.dumps(event) + "\n" for event in events)
    done = subprocess.run(
        [sys.executable, "-E", "-S", "-c", INVOKE],
        cwd=package,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_walk_builds_a_function_that_answers_its_http_api_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto knows AWS's managed policies (AWSLambdaBasicExecutionRole) only when asked to load them.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    fake_aws_env(monkeypatch)
    with moto_server() as endpoint:
        env = {**clean_env(), **server_env(endpoint)}
        env |= {"REPO": str(ROOT), "WORK": str(tmp_path), "LAMBDA_PYTHON": PYTHON}
        env["MLFLOW_S3_ENDPOINT_URL"] = endpoint  # MLflow's own S3 client, for the run's artifacts
        walked = subprocess.run(
            ["bash", "-c", walk_script()], env=env, capture_output=True, text=True, timeout=900, check=False
        )
        assert walked.returncode == 0, walked.stdout[-2000:] + walked.stderr[-4000:]

        def client(service: str) -> Any:  # boto3 ships no types
            return boto3.client(service, endpoint_url=endpoint, region_name=REGION)

        bucket = f"predictor-123456789012-{REGION}"
        keys = {item["Key"] for item in client("s3").list_objects_v2(Bucket=bucket)["Contents"]}
        assert {"data/breast-cancer.csv", "models/demo/version.json", "lambda/predictor-lambda.zip"} <= keys
        function = client("lambda").get_function_configuration(FunctionName="predictor")
        assert function["Handler"] == "predictor.entrypoints.lambda_handler.handler"
        assert function["Runtime"] == f"python{PYTHON}"
        (api,) = client("apigatewayv2").get_apis()["Items"]
        assert api["ProtocolType"] == "HTTP"
        stored = client("secretsmanager").get_secret_value(SecretId="predictor/api-keys")
        secret = json.loads(stored["SecretString"])
        (key,) = secret["api_keys"]

        package = tmp_path / "function"
        zipfile.ZipFile(tmp_path / "build" / "predictor-lambda.zip").extractall(package)
        assert not (package / "scipy").exists()
        assert (package / "model" / "version.json").is_file()
        manifest = json.loads((package / "model" / "manifest.json").read_text())
        body = json.dumps({"instances": manifest["input_example"][:1]})
        lambda_env = {**server_env(endpoint), **function["Environment"]["Variables"]}
        lambda_env["PATH"] = os.environ["PATH"]
        answered, refused = invoke_built_function(
            package, lambda_env, [http_api_event(body, key), http_api_event(body, None)]
        )

    assert answered["statusCode"] == 200, answered
    prediction = json.loads(answered["body"])
    assert prediction["model"]["name"] == "demo"
    assert prediction["model"]["version"] == "1"
    assert prediction["predictions"][0]["label"] in {"0", "1"}  # the CSV's target column holds 0 and 1
    assert refused["statusCode"] == 401
    assert refused["headers"]["content-type"] == "application/problem+json"
