"""The Lambda event fixtures (tests/fixtures/lambda/), the same requests as an HTTP client sends
them, and both channels' answers in one comparable form."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "lambda"
# The response headers a client acts on; Mangum and the HTTP server differ on framing ones.
HEADERS_THAT_MATTER = (
    "content-type",
    "x-request-id",
    "x-model-version",
    "www-authenticate",
    "retry-after",
    "accept-encoding",
    "x-content-type-options",
)


@dataclass(frozen=True)
class LambdaContext:
    """What the runtime hands a handler beside the event (the fields the service reads)."""

    aws_request_id: str = "8f5a3c2e-1d4b-4e6f-9a7b-0c1d2e3f4a5b"
    function_name: str = "predictor"
    memory_limit_in_mb: int = 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    base64: bool = False  # how the Lambda answer carried its body (JSON and problems: as text)


def event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return loaded


def event_names() -> list[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


def request_id(event: dict[str, Any]) -> str:
    """The X-Request-ID the event's client sent (every fixture sends one)."""
    return _first_values(event).get("X-Request-ID") or _first_values(event)["x-request-id"]


def _first_values(event: dict[str, Any]) -> dict[str, str]:
    if event.get("multiValueHeaders"):
        return {name: values[0] for name, values in event["multiValueHeaders"].items()}
    return dict(event.get("headers") or {})


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: dict[str, str]
    content: bytes


def http_request(event: dict[str, Any]) -> HttpRequest:
    """The request an HTTP client would send for ``event``: method, path, query, headers, body."""
    body = event.get("body") or ""
    content = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    headers = _first_values(event)
    if event.get("version") == "2.0":
        method, path = event["requestContext"]["http"]["method"], event["rawPath"]
        query = event.get("rawQueryString", "")
        if event.get("cookies"):
            headers["cookie"] = "; ".join(event["cookies"])
    else:
        method, path = event["httpMethod"], event["path"]
        query = urlencode(event.get("queryStringParameters") or {})
    url = f"http://testserver{path}" + (f"?{query}" if query else "")
    headers.pop("Host", None)
    headers.pop("host", None)
    return HttpRequest(method, url, headers, content)


def from_lambda(answer: dict[str, Any]) -> Answer:
    headers = {name.lower(): value for name, value in (answer.get("headers") or {}).items()}
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), values[0])
    body = answer.get("body") or ""
    raw = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
    return Answer(answer["statusCode"], _mattering(headers), raw, bool(answer.get("isBase64Encoded")))


def from_http(response: Any) -> Answer:
    """An ``httpx`` (or TestClient's ``httpx2``) response."""
    headers = {name.lower(): value for name, value in response.headers.items()}
    return Answer(response.status_code, _mattering(headers), response.content)


def _mattering(headers: dict[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in HEADERS_THAT_MATTER if name in headers}
