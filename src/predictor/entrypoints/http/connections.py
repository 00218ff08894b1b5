"""Connection limits below the app: header, body and keep-alive timeouts and a cap on open connections.

uvicorn times only an idle keep-alive connection, from the end of a response. Nothing times a
client from connect to the end of its headers, or through its body, and ``limit_concurrency``
counts a connection only once its headers are in; so a client that sends part of its headers
and stops holds a file descriptor for ever, and enough of them fill the process's table.
``GuardedHttpToolsProtocol`` is uvicorn's httptools protocol with what is missing:

- headers: from connect, or from the first byte of the next request on a kept-alive connection,
  to the end of the headers, at most ``header_timeout_s``; then ``408`` (if part of a request
  came) and close;
- body: from the end of the headers to the end of the body, at most ``body_timeout_s``; then
  ``408`` if no response has started, else close. The app sees the client disconnect;
- keep-alive: uvicorn's own timer, set to ``keep_alive_timeout_s``;
- cap: with ``max_connections`` open in the process, a newcomer closes the connection that has
  gone longest without a request in progress (partial headers, or idle between requests), so
  slow clients make room for real ones; when every connection is busy it is answered ``503``.

A timer is armed only when a read ends in the middle of a request, so a request that arrives in
one read arms none. Closes and refusals are counted by reason and logged without flooding.
"""

from __future__ import annotations

__all__ = ["ConnectionGuard", "ConnectionLimits", "Evictable", "GuardedHttpToolsProtocol"]

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from predictor.entrypoints.http.connection_limits import ConnectionLimits, Evictable, closing_response
from predictor.entrypoints.http.connection_log import LOG_INTERVAL_S, Refusals, service_counter
from predictor.entrypoints.http.errors import REQUEST_TIMEOUT, TOO_MANY_CONNECTIONS


class ConnectionGuard:
    """The protocol factory handed to uvicorn, and what one process's connections share: the
    open ones, those without a request in progress (longest first) and the refusal counts.

    It pickles as its limits, so each ``--workers`` process starts with its own, empty state;
    it finds the app's metrics on its first connection (``service_counter``).
    """

    def __init__(self, limits: ConnectionLimits, log_interval_s: float = LOG_INTERVAL_S) -> None:
        self.limits = limits
        self.refusals = Refusals(log_interval_s)
        self._open: set[Evictable] = set()
        self._waiting: dict[Evictable, None] = {}  # insertion order: longest waiting first
        self._looked_for_counter = False

    def __reduce__(self) -> tuple[type[ConnectionGuard], tuple[ConnectionLimits, float]]:
        return ConnectionGuard, (self.limits, self.refusals.interval_s)

    def __call__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> GuardedHttpToolsProtocol:
        if not self._looked_for_counter:
            self._looked_for_counter = True
            self.refusals.counter = service_counter(getattr(config, "loaded_app", None))
        return GuardedHttpToolsProtocol(config, server_state, app_state, _loop, guard=self)

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def admit(self, connection: Evictable) -> bool:
        """Count a new connection in, waiting for its first request, evicting the longest-waiting
        one at the cap; False (and not counted) when at the cap every connection is busy."""
        if len(self._open) >= self.limits.max_connections:
            if not self._waiting:
                return False
            oldest = next(iter(self._waiting))
            self.release(oldest)
            oldest.evict()
        self._open.add(connection)
        self._waiting[connection] = None
        return True

    def busy(self, connection: Evictable) -> None:
        """A request's headers are in: not evictable until its response is complete."""
        self._waiting.pop(connection, None)

    def idle(self, connection: Evictable) -> None:
        """A response is complete and the connection is kept alive for the next request."""
        if connection in self._open:
            self._waiting[connection] = None

    def release(self, connection: Evictable) -> None:
        self._open.discard(connection)
        self._waiting.pop(connection, None)


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
