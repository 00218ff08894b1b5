"""A client that leaves while its body is being read is one quiet access line (status 499),
not an error: no 500 in the log or the 5xx metric, no traceback."""

from __future__ import annotations

from typing import Any

import anyio
import structlog
from starlette.types import Message

from predictor.entrypoints.http.app import create_app
from tests.unit.builders import serving
from tests.unit.http.conftest import AUTH, asgi_scope, with_keys

HEADERS = [
    (b"content-length", b"5000"),
    (b"content-type", b"application/json"),
    (b"x-api-key", AUTH["X-API-Key"].encode()),
]


def test_a_client_gone_mid_body_is_one_quiet_line_and_no_5xx() -> None:
    container = with_keys(serving())
    app = create_app(container)
    sent: list[Message] = []
    routes = {
        "/predict": "/predict",
        "/invocations": "/invocations",
        "/v1/explain": "/v1/explain",
        "/v2/models/demo/infer": "/v2/models/{name}/infer",
    }
    for path, route in routes.items():
        messages: list[dict[str, Any]] = [
            {"type": "http.request", "body": b'{"instances": [', "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}  # noqa: B023  # called within this iteration

        async def send(message: Message) -> None:
            sent.append(message)

        scope = asgi_scope(path, HEADERS)

        async def call() -> None:
            await app(scope, receive, send)  # noqa: B023  # called within this iteration

        with structlog.testing.capture_logs() as logs:
            anyio.run(call)

        (line,) = logs
        assert (line["event"], line["log_level"], line["status"]) == ("request", "info", 499)
        assert line["path"] == route
    requests = [m for m in container.request_metrics().drain() if m.name == "requests"]

    assert all(message["type"] != "http.response.start" for message in sent)  # nobody to answer
    assert {m.dimensions["status"] for m in requests} == {"4xx"}
    assert sum(m.value for m in requests) == 4
