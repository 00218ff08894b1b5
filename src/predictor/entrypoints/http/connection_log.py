"""What the connection guard turned away: counted by reason, logged without flooding."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Literal

import structlog

from predictor.domain.ports import Counted, EventCounter

LOGGER = "predictor.connections"
# After a close or refusal is logged, the ones that follow are summed into one line this often.
LOG_INTERVAL_S = 5.0

Reason = Literal["header_timeout", "body_timeout", "evicted_at_cap", "refused_at_cap"]


def service_counter(app: object) -> EventCounter | None:
    """The served app's event counter (``app.state.container``, as ``create_app`` stores it):
    the guard is built before the app, and finds it through uvicorn's ``config.loaded_app``."""
    container = getattr(getattr(app, "state", None), "container", None)
    return container.request_metrics() if container is not None else None


class Refusals:
    """Connections closed or refused, counted by reason since start (``totals``). The first is
    logged at once; those that follow within ``interval_s`` go into one line at its end, and so
    on while they keep coming. Counts are per process: each line names its ``pid``. Each is
    also counted on ``counter`` (the service's metrics), once the guard has found it."""

    def __init__(self, interval_s: float = LOG_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.counter: EventCounter | None = None
        self.totals: Counter[str] = Counter()
        self._since_logged: Counter[str] = Counter()
        self._summary: asyncio.TimerHandle | None = None

    def record(self, reason: Reason, client: tuple[str, int] | None, loop: asyncio.AbstractEventLoop) -> None:
        self.totals[reason] += 1
        if self.counter is not None:
            self.counter.count(Counted.REJECTED_CONNECTIONS, reason=reason)
        if self._summary is not None:
            self._since_logged[reason] += 1
            return
        peer = f"{client[0]}:{client[1]}" if client else None
        structlog.get_logger(LOGGER).warning(
            "connection closed", reason=reason, client=peer, totals=dict(self.totals), pid=os.getpid()
        )
        self._summary = loop.call_later(self.interval_s, self._log_summary, loop)

    def _log_summary(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._since_logged:
            self._summary = None
            return
        structlog.get_logger(LOGGER).warning(
            "connections closed",
            counts=dict(self._since_logged),
            in_last_s=self.interval_s,
            totals=dict(self.totals),
            pid=os.getpid(),
        )
        self._since_logged.clear()
        self._summary = loop.call_later(self.interval_s, self._log_summary, loop)
