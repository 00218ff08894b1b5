"""uvicorn's httptools protocol with the connection guard's timeouts and cap (``connections.py``
says what they are and why)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from predictor.entrypoints.http.connection_limits import closing_response
from predictor.entrypoints.http.problems import REQUEST_TIMEOUT, TOO_MANY_CONNECTIONS

if TYPE_CHECKING:
    from predictor.entrypoints.http.connections import ConnectionGuard


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body timeouts and the guard's cap.

    The callbacks run for every request call the base class by name: on Python 3.11 a
    ``super()`` call builds a proxy object each time (docs/performance.md#connection-limits).
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        guard: ConnectionGuard,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.guard = guard
        self.limits = guard.limits
        # uvicorn's keep-alive timer, given the setting as it is (uvicorn's int is only a hint).
        self.timeout_keep_alive = guard.limits.keep_alive_timeout_s  # type: ignore[assignment]
        self._timer: asyncio.TimerHandle | None = None
        self._reading_headers = True
        self._reading_body = False
        self._request_begun = False  # bytes of the request whose headers are awaited have come

    # Connection events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        super().connection_made(transport)
        if not self.guard.admit(self):
            self.guard.refusals.record("refused_at_cap", self.client, self.loop)
            detail = f"the server holds its maximum of {self.limits.max_connections} connections"
            self._close(closing_response(TOO_MANY_CONNECTIONS, detail, self.server_state.default_headers))
            return
        self._timer = self.loop.call_later(self.limits.header_timeout_s, self._headers_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.guard.release(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._reading_body:
            # Bytes on an idle connection begin the next request, even bare CRLFs, which the
            # parser skips without a callback (and uvicorn's keep-alive timer is cancelled).
            self._reading_headers = True
            self._request_begun = True
        HttpToolsProtocol.data_received(self, data)
        if self._timer is None and (self._reading_headers or self._reading_body):
            if self.transport.is_closing():
                return
            if self._reading_headers:
                self._timer = self.loop.call_later(self.limits.header_timeout_s, self._headers_timed_out)
            else:
                self._timer = self.loop.call_later(self.limits.body_timeout_s, self._body_timed_out)

    def evict(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.guard.refusals.record("evicted_at_cap", self.client, self.loop)
        self._close()

    # Parser callbacks

    def on_headers_complete(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._reading_headers = False
        self._request_begun = False
        self._reading_body = True
        self.guard.busy(self)
        HttpToolsProtocol.on_headers_complete(self)

    def on_message_complete(self) -> None:
        HttpToolsProtocol.on_message_complete(self)
        self._reading_body = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def on_response_complete(self) -> None:
        HttpToolsProtocol.on_response_complete(self)
        if self.timeout_keep_alive_task is not None:  # kept alive, and no pipelined request
            self.guard.idle(self)

    # Timeouts

    def _headers_timed_out(self) -> None:
        self._timer = None
        self.guard.refusals.record("header_timeout", self.client, self.loop)
        previous = self.cycle
        if self._request_begun and (previous is None or previous.response_complete):
            detail = f"the request's headers did not arrive within {self.limits.header_timeout_s:g} s"
            self._close(closing_response(REQUEST_TIMEOUT, detail, self.server_state.default_headers))
        else:  # nothing was sent, or a pipelined request's answer is still being written
            self._close()

    def _body_timed_out(self) -> None:
        self._timer = None
        self._reading_body = False
        self.guard.refusals.record("body_timeout", self.client, self.loop)
        cycle = self.cycle
        if cycle.response_started or self.pipeline:  # an answer is on its way: no 408 before it
            self._close()
            return
        cycle.disconnected = True  # the app's answer, should it still come, goes nowhere
        detail = f"the request's body did not arrive within {self.limits.body_timeout_s:g} s"
        self._close(closing_response(REQUEST_TIMEOUT, detail, self.server_state.default_headers))

    def _close(self, response: bytes = b"") -> None:
        transport = self.transport
        if transport.is_closing():
            return
        if response:
            transport.write(response)
        if transport.get_write_buffer_size():  # a client that does not read: don't wait on it
            transport.abort()
        else:
            transport.close()
