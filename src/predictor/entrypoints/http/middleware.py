"""Pure ASGI middleware: request id and access log, body-size limit, the last-resort 500
(security headers and HTTPS: ``transport_security.py``).

Pure ASGI rather than ``BaseHTTPMiddleware``: no extra task per request, and the body
stays a stream, so the size limit counts bytes as they arrive.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from predictor.domain.errors import PayloadTooLarge
from predictor.entrypoints.http.errors import PAYLOAD_TOO_LARGE, internal_error_response, problem_response
from predictor.services.serving.core import MODEL_VERSION_HEADER
from predictor.services.serving.loading import ModelSlot
from predictor.services.serving.telemetry import RequestMetrics

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

_REQUEST_ID_KEY = REQUEST_ID_HEADER.lower().encode("latin-1")
_MODEL_VERSION_KEY = MODEL_VERSION_HEADER.lower().encode("latin-1")

# What the access line and the metrics record for a client that left before its answer (the
# status nginx logs for it): the client's doing, not a server error.
CLIENT_CLOSED_REQUEST = 499

# Loggers are taken per middleware instance, not per module: a module-level logger cached
# under one logging configuration would ignore the next (tests reconfigure per app).
ACCESS_LOGGER = "predictor.access"


def request_state(scope: Scope) -> MutableMapping[str, Any]:
    """This request's ``request.state`` dict (shared by middleware, dependencies and handlers)."""
    state: MutableMapping[str, Any] = scope.setdefault("state", {})
    return state


def _route(scope: Scope) -> str:
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


def _header(scope: Scope, key: bytes) -> str | None:
    """The first value of the request header ``key`` (lower-case bytes), as ``Headers.get``."""
    for name, value in scope["headers"]:
        if name == key:
            return str(value.decode("latin-1"))
    return None


def choose_request_id(presented: str | None) -> str:
    """The client's id when it is sane (≤128 of ``[A-Za-z0-9._-]``), else a new one."""
    if presented is not None and _SANE_REQUEST_ID.fullmatch(presented):
        return presented
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Gives each request an id, binds it for logs, stamps response headers, logs one access line.

    Outermost layer, so every response (CORS preflights and 500s included) gets ``X-Request-ID``
    and, while a model is loaded and the caller sent a valid key, ``X-Model-Version`` (a handler
    may set the latter itself, to name the version that actually answered).
    """

    def __init__(self, app: ASGIApp, slot: ModelSlot, metrics: RequestMetrics) -> None:
        self.app = app
        self.slot = slot
        self.metrics = metrics
        self._log = structlog.get_logger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = choose_request_id(_header(scope, _REQUEST_ID_KEY))
        state = request_state(scope)
        state["request_id"] = request_id
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = response_headers(message)  # the response's own names are lower-case bytes
                headers.append((_REQUEST_ID_KEY, request_id.encode("latin-1")))
                # The version only to a caller with a key: an open route names no model.
                served = self.slot.peek()
                if (
                    served is not None
                    and state.get("key_id") is not None
                    and not any(name == _MODEL_VERSION_KEY for name, _ in headers)
                ):
                    headers.append((_MODEL_VERSION_KEY, served.version.version.encode("latin-1")))
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_headers)
            finally:
                if state.get("client_disconnected"):
                    status = CLIENT_CLOSED_REQUEST
                served = self.slot.peek()
                latency_ms = (time.perf_counter() - started) * 1000
                route = _route(scope)
                self.metrics.observe(route, status, latency_ms, request_id)
                # The route's template, not the path the client sent: a path or query string
                # may carry a key a client should not have put there.
                self._log.info(
                    "request",
                    request_id=request_id,
                    method=scope["method"],
                    path=route,
                    status=status,
                    latency_ms=round(latency_ms, 3),
                    model_version=state.get("model_version")
                    or (served.version.version if served is not None else None),
                    key_id=state.get("key_id"),
                )


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
            self._log.exception("unhandled error", method=scope["method"], path=_route(scope))
            if response_started:
                raise  # too late for a problem body; let the server drop the connection
            response = internal_error_response(scope["path"], request_state(scope).get("request_id"))
            await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
