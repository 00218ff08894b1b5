"""Use cases: alert once per trouble (``AlertGate``), and alarm on the error rate (``ErrorRateAlarm``).

``AlertGate`` stands in front of any ``Alerter``. The first alert of a trouble (its subject
and model) goes through; the same alert again within ``window_s`` is only counted, so an
outage polled thousands of times sends one message; an outage still going on after the window
sends one reminder per window, naming how many were held back. ``resolve`` of a trouble that
was alerted sends one "resolved"; of one that was not, nothing.

``ErrorRateAlarm`` is told of every answered request (from ``RequestMetrics``). When, over the
last ``window_s``, at least ``min_requests`` were answered and the share of 5xx reaches
``threshold``, it raises ``error rate high`` through the gate; when the share falls back below
it resolves it. A threshold of 0 turns it off.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from predictor.domain.alerts import ERROR_RATE_HIGH, Alert
from predictor.domain.ports import Alerter, Clock

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Firing:
    first: datetime
    sent: datetime
    held_back: int = 0


class AlertGate(Alerter):
    """One message per trouble per ``window_s``, one "resolved" at its end; names ``service``."""

    def __init__(self, alerter: Alerter, clock: Clock, window_s: float, service: str = "predictor") -> None:
        self._alerter = alerter
        self._clock = clock
        self._window = timedelta(seconds=window_s)
        self._service = service
        self._firing: dict[tuple[str, str], _Firing] = {}
        self._lock = threading.Lock()

    def firing(self) -> list[tuple[str, str]]:
        """The troubles alerted and not resolved yet, as (subject, model)."""
        with self._lock:
            return sorted(self._firing)

    def alert(self, alert: Alert) -> None:
        alert = alert.for_service(self._service)
        now = self._clock.now()
        with self._lock:
            firing = self._firing.get(alert.key)
            if firing is None:
                self._firing[alert.key] = _Firing(first=now, sent=now)
                held_back = None
            elif now - firing.sent >= self._window:
                held_back, firing.held_back, firing.sent = firing.held_back, 0, now
            else:
                firing.held_back += 1
                return
        if held_back is not None:
            alert = replace(alert, context={**alert.context, "held_back": str(held_back)})
        try:
            self._alerter.alert(alert)
        except Exception:  # an alerter that breaks its contract must not break what alerted
            log.exception("an alert could not be sent", extra={"alert": alert.subject})

    def resolve(self, alert: Alert) -> None:
        alert = alert.for_service(self._service)
        now = self._clock.now()
        with self._lock:
            firing = self._firing.pop(alert.key, None)
        if firing is None:
            return
        lasted = round((now - firing.first).total_seconds(), 1)
        context = {**alert.context, "lasted_s": str(lasted), "held_back": str(firing.held_back)}
        try:
            self._alerter.resolve(replace(alert, context=context))
        except Exception:  # likewise
            log.exception("a resolution could not be sent", extra={"alert": alert.subject})


@dataclass(slots=True)
class _Second:
    at: int
    requests: int = 0
    errors: int = 0


class ErrorRateAlarm:
    """Alerts when the share of 5xx answers over the last ``window_s`` reaches ``threshold``
    (with at least ``min_requests`` answered), and resolves when it falls back below."""

    def __init__(
        self,
        alerter: Alerter,
        clock: Clock,
        threshold: float,
        window_s: float,
        min_requests: int,
    ) -> None:
        self._alerter = alerter
        self._clock = clock
        self._threshold = threshold
        self._window_s = max(1, round(window_s))
        self._min_requests = min_requests
        self._seconds: deque[_Second] = deque()
        self._requests = 0
        self._errors = 0
        self._firing = False
        self._last_error = ("", "", "")  # model, version, request id of the last 5xx
        self._lock = threading.Lock()

    def observe(self, status: int, model: str = "", version: str = "", request_id: str = "") -> None:
        """One answered request (on the request path: counts, and an alert only on a change).
        A threshold of 0 turns the alarm off."""
        if self._threshold <= 0:
            return
        now = int(self._clock.now().timestamp())
        error = status >= 500  # the 5xx class
        with self._lock:
            self._count(now, error)
            if error:
                self._last_error = (model, version, request_id)
            change = self._change()
            rate, requests = self._rate(), self._requests
            model, version, request_id = self._last_error
        if change is None:
            return
        alert = Alert(
            ERROR_RATE_HIGH,
            detail=f"{rate:.1%} of the last {requests} requests over {self._window_s} s failed with 5xx "
            f"(the threshold is {self._threshold:.1%})",
            model=model,
            version=version,
            error="ServerError",
            request_id=request_id,
            context={"error_rate": f"{rate:.4f}", "requests": str(requests)},
        )
        if change:
            self._alerter.alert(alert)
        else:
            self._alerter.resolve(alert)

    def _count(self, now: int, error: bool) -> None:
        while self._seconds and self._seconds[0].at <= now - self._window_s:
            old = self._seconds.popleft()
            self._requests -= old.requests
            self._errors -= old.errors
        if not self._seconds or self._seconds[-1].at != now:
            self._seconds.append(_Second(now))
        last = self._seconds[-1]
        last.requests += 1
        last.errors += error
        self._requests += 1
        self._errors += error

    def _rate(self) -> float:
        return self._errors / self._requests if self._requests else 0.0

    def _change(self) -> bool | None:
        """True: starts firing; False: stops; None: no change."""
        if self._requests < self._min_requests:
            return None
        high = self._rate() >= self._threshold
        if high == self._firing:
            return None
        self._firing = high
        return high
