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
from uvicorn.server import ServerState

from predictor.entrypoints.http.connection_limits import ConnectionLimits, Evictable
from predictor.entrypoints.http.connection_log import LOG_INTERVAL_S, Refusals, service_counter
from predictor.entrypoints.http.guarded_protocol import GuardedHttpToolsProtocol


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
