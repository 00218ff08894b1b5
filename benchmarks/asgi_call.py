"""One ``POST /predict`` called straight into an ASGI app object: no server, no socket; a scope,
a ``receive`` that hands over the body, a ``send`` that keeps the status."""

from __future__ import annotations

from typing import Any


def _scope(body: bytes, key: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/predict",
        "raw_path": b"/predict",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-api-key", key.encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }


async def post_predict(app: Any, body: bytes, key: str) -> int:
    """The status ``app`` answers ``POST /predict`` of ``body`` with the API key ``key``."""
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(body, key), receive, send)
    return status
