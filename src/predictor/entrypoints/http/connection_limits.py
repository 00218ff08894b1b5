"""What the connection guard (``connections.py``) is configured with and answers: the limits
from the settings, what it needs of a connection, and the problem answer that closes one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from predictor.config import Settings
from predictor.entrypoints.http.problems import PROBLEM_MEDIA_TYPE, ProblemType


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout_s: float
    body_timeout_s: float
    keep_alive_timeout_s: float
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        return cls(
            header_timeout_s=settings.http.header_timeout_s,
            body_timeout_s=settings.http.body_timeout_s,
            keep_alive_timeout_s=settings.http.keep_alive_timeout_s,
            max_connections=settings.http.max_connections,
        )


class Evictable(Protocol):
    """What the cap needs of a connection: a way to close it to make room."""

    def evict(self) -> None: ...


def closing_response(problem: ProblemType, detail: str, default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A problem+json answer that closes the connection, written below the app."""
    body = orjson.dumps(
        {"type": problem.uri, "title": problem.title, "status": problem.status, "detail": detail}
    )
    head = [STATUS_LINE[problem.status]]
    head += [name + b": " + value + b"\r\n" for name, value in default_headers]
    head += [
        b"content-type: " + PROBLEM_MEDIA_TYPE.encode() + b"\r\n",
        b"content-length: %d\r\n" % len(body),
        b"connection: close\r\n",
    ]
    if problem.status == 503:
        head.append(b"retry-after: 1\r\n")  # a connection is likely free by then
    return b"".join([*head, b"\r\n", body])
