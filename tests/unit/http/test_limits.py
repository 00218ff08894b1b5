"""Limits: too many rows or too many bytes is a 413 problem, before the body is parsed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import orjson
from starlette.types import Message

from predictor.entrypoints.http.app import create_app
from tests.unit.builders import serving
from tests.unit.http.conftest import (
    AUTH,
    asgi_scope,
    assert_problem,
    row,
    serve,
    trained_container,
    with_keys,
)

MAX_BODY = 2048


def test_more_rows_than_max_rows_is_a_413_problem() -> None:
    with serve(trained_container(max_rows=3)) as client:
        response = client.post("/predict", json={"instances": [row()] * 4}, headers=AUTH)
        assert client.post("/predict", json={"instances": [row()] * 3}, headers=AUTH).status_code == 200

    body = assert_problem(response, 413, "payload-too-large")
    assert "4 rows" in body["detail"]
    assert "limit is 3" in body["detail"]


def big_body() -> bytes:
    body = orjson.dumps({"instances": [row()] * 100})
    assert len(body) > MAX_BODY
    return body


def test_a_body_over_the_limit_by_content_length_is_a_413_problem() -> None:
    with serve(trained_container(max_body_bytes=MAX_BODY)) as client:
        response = client.post(
            "/predict", content=big_body(), headers={**AUTH, "Content-Type": "application/json"}
        )

    body = assert_problem(response, 413, "payload-too-large")
    assert f"{MAX_BODY} bytes" in body["detail"]


def test_a_chunked_body_over_the_limit_is_a_413_problem() -> None:
    payload = big_body()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 512):
            yield payload[start : start + 512]

    with serve(trained_container(max_body_bytes=MAX_BODY)) as client:
        response = client.post(
            "/predict", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
        )

    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "payload-too-large")


def test_streamed_bytes_are_counted_even_when_content_length_is_small() -> None:
    """A client that declares a small Content-Length and keeps sending is cut off by the count."""
    app = create_app(with_keys(serving(max_body_bytes=MAX_BODY)))
    chunk = b" " * 512
    sent: list[Any] = []
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": True} for _ in range(10)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [
        (b"content-length", b"100"),
        (b"content-type", b"application/json"),
        (b"x-api-key", AUTH["X-API-Key"].encode()),
    ]
    scope = asgi_scope("/predict", headers)

    async def call() -> None:
        await app(scope, receive, send)

    anyio.run(call)

    start, body = sent[0], sent[1]
    assert start["status"] == 413
    assert orjson.loads(body["body"])["type"].endswith("/payload-too-large")
    assert len(messages) < 10 - MAX_BODY // len(chunk)  # it stopped reading soon after the limit
