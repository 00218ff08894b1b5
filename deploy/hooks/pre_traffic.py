"""CodeDeploy's PreTraffic hook: smoke predictions to the new version before any traffic moves.

It invokes the version SAM just published (``NEW_VERSION``) with an HTTP API (v2) event that
POSTs ``SMOKE_REQUEST`` to ``/predict`` with an API key read from ``KEYS_SECRET_ID``, and tells
CodeDeploy ``Succeeded`` only on a 200 answer; anything else fails the deployment, so the alias
never moves. Standard library and boto3 only: Lambda's Python runtime ships boto3.
"""

from __future__ import annotations

import json
from typing import Any, Protocol


class LambdaClient(Protocol):
    def invoke(self, *, FunctionName: str, Payload: bytes) -> dict[str, Any]: ...


class CodeDeployClient(Protocol):
    def put_lifecycle_event_hook_execution_status(self, **kwargs: str) -> object: ...


class SecretsClient(Protocol):
    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]: ...


def http_api_event(body: str, api_key: str) -> dict[str, Any]:
    """A minimal API Gateway HTTP API (payload 2.0) event for ``POST /predict``."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/predict",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-api-key": api_key, "host": "smoke.test"},
        "requestContext": {
            "http": {"method": "POST", "path": "/predict", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "pre-traffic-smoke",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def smoke_failure(function: str, body: str, api_key: str, lambda_client: LambdaClient) -> str | None:
    """None when ``function`` answers the smoke request with 200, else why not."""
    answer = lambda_client.invoke(
        FunctionName=function, Payload=json.dumps(http_api_event(body, api_key)).encode()
    )
    if answer.get("FunctionError"):
        return f"{function} raised {answer['FunctionError']}"
    response = json.loads(answer["Payload"].read())
    status = response.get("statusCode")
    return None if status == 200 else f"{function} answered {status}: {str(response.get('body'))[:200]}"


def run_hook(
    event: dict[str, str],
    environment: dict[str, str],
    lambda_client: LambdaClient,
    codedeploy: CodeDeployClient,
    secrets: SecretsClient,
) -> str:
    """Smoke-test the new version and report to CodeDeploy; answers the status reported."""
    secret = json.loads(secrets.get_secret_value(SecretId=environment["KEYS_SECRET_ID"])["SecretString"])
    failure = smoke_failure(
        environment["NEW_VERSION"], environment["SMOKE_REQUEST"], secret["api_keys"][0], lambda_client
    )
    status = "Succeeded" if failure is None else "Failed"
    if failure is not None:
        print(json.dumps({"event": "smoke test failed", "reason": failure}))  # noqa: T201  # Lambda's log
    codedeploy.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return status


def handler(event: dict[str, str], context: object) -> str:
    import os

    import boto3

    return run_hook(
        event,
        dict(os.environ),
        boto3.client("lambda"),
        boto3.client("codedeploy"),
        boto3.client("secretsmanager"),
    )
