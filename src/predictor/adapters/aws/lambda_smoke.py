"""``LambdaSmokeCheck``: one prediction sent to a function version as an HTTP API (v2) event."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from predictor.domain.ports import SmokeCheck


def http_api_event(body: str, api_key: str) -> dict[str, Any]:
    """API Gateway's HTTP API (payload 2.0) event for ``POST /predict`` with ``body``."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/predict",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "x-api-key": api_key, "host": "smoke.test"},
        "requestContext": {
            "http": {"method": "POST", "path": "/predict", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": "deploy-smoke",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


class LambdaSmokeCheck(SmokeCheck):
    """Invokes ``function:version`` with ``body`` and ``api_key``; a 200 with predictions passes."""

    def __init__(self, body: str, api_key: str, client: Any | None = None) -> None:
        self._event = json.dumps(http_api_event(body, api_key)).encode()
        self._client: Any = client if client is not None else boto3.session.Session().client("lambda")

    def failure(self, function: str, version: str) -> str | None:
        try:
            answer = self._client.invoke(FunctionName=f"{function}:{version}", Payload=self._event)
        except (ClientError, BotoCoreError) as exc:
            return f"the invocation failed: {type(exc).__name__}"
        if answer.get("FunctionError"):
            return f"the function raised ({answer['FunctionError']})"
        response = json.loads(answer["Payload"].read())
        status = response.get("statusCode")
        if status != 200:
            return f"it answered {status}"
        if "predictions" not in json.loads(response.get("body") or "{}"):
            return "it answered 200 without predictions"
        return None
