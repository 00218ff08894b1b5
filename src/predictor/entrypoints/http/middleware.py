"""Pure ASGI middleware: body-size limit, the last-resort 500, and the helpers every layer shares
(request id and access log: ``request_context.py``; security headers and HTTPS:
``transport_security.py``).

Pure ASGI rather than ``BaseHTTPMiddleware``: no extra task per request, and the body
stays a stream, so the size limit counts bytes as they arrive.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import structlog
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from predictor.domain.errors import PayloadTooLarge
from predictor.entrypoints.http.problems import PAYLOAD_TOO_LARGE, internal_error_response, problem_response


def request_state(scope: Scope) -> MutableMapping[str, Any]:
    """This request's ``request.state`` dict (shared by middleware, dependencies and handlers)."""
    state: MutableMapping[str, Any] = scope.setdefault("state", {})
    return state


def route_template(scope: Scope) -> str:
    """The matched route's template (bounded cardinality for metrics), else ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def response_headers(message: Message) -> list[tuple[bytes, bytes]]:
    """The raw (name, value) pairs of an ``http.response.start`` message, as a list to extend."""
    headers = message.setdefault("headers", [])
    if not isinstance(headers, list):
        headers = message["headers"] = list(headers)
    return headers


def header(scope: Scope, key: bytes) -> str | None:
    """The first value of the request header ``key`` (lower-case bytes), as ``Headers.get``."""
    for name, value in scope["headers"]:
        if name == key:
            return str(value.decode("latin-1"))
    return None


class BodyLimitMiddleware:
    """Refuses bodies over ``max_bytes``: by Content-Length before reading anything, and by
    counting streamed bytes (chunked or lying clients) before the handler parses them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            response = problem_response(
                PAYLOAD_TOO_LARGE,
                self._detail(),
                instance=scope["path"],
                request_id=request_state(scope).get("request_id"),
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised into the handler reading the body; the error table answers 413.
                    raise PayloadTooLarge(self._detail(), limit=self.max_bytes, actual=received)
            return message

        await self.app(scope, counting_receive, send)

    def _detail(self) -> str:
        return (
            f"the request body is larger than the limit of {self.max_bytes} bytes; "
            "send fewer rows per request"
        )


class CatchAllMiddleware:
    """Turns an unexpected exception into a generic 500 problem and logs its stack trace.

    It sits inside CORS, so browsers can read the 500 too. Nothing of the exception reaches
    the client: no message, no type, no path.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._log = structlog.get_logger(__name__)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def watching_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except ClientDisconnect:
            # The client left while its body was being read: nobody to answer, nothing broken.
            # The access line records it (status 499).
            request_state(scope)["client_disconnected"] = True
        except Exception:
            self._log.exception("unhandled error", method=scope["method"], path=route_template(scope))
            if response_started:
                raise  # too late for a problem body; let the server drop the connection
            response = internal_error_response(scope["path"], request_state(scope).get("request_id"))
            await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    value = header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
