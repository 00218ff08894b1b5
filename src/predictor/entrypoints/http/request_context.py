"""The outermost layer: each request's id (bound for logs, sent back in ``X-Request-ID``), the
served version in ``X-Model-Version``, the request metrics and one access line per request."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from predictor.entrypoints.http.middleware import header, request_state, response_headers, route_template
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
        request_id = choose_request_id(header(scope, _REQUEST_ID_KEY))
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
                self._answered(scope, state, status, (time.perf_counter() - started) * 1000)

    def _answered(
        self, scope: Scope, state: MutableMapping[str, Any], status: int, latency_ms: float
    ) -> None:
        """Count the request and write its access line."""
        served = self.slot.peek()
        route = route_template(scope)
        request_id = state["request_id"]
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
