"""The logs and alerts of refreshing: a swap, a new trouble, the end of one.

A trouble (an outage, a version refused, the model gone) is logged and alerted once, when it
starts, not on every poll that finds it still there; it is resolved when it ends.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from predictor.domain.alerts import FALLBACK, MODEL_NOT_FOUND, MODEL_REFUSED, REGISTRY_UNREACHABLE, Alert
from predictor.domain.ports import Alerter
from predictor.services.serving.refresh.outcome import RefreshOutcome, RefreshStatus

log = logging.getLogger(__name__)


class TroubleReport:
    """Tells the logs and the alerter what changed between one refresh and the next."""

    def __init__(self, alerter: Alerter) -> None:
        self._alerter = alerter
        self._trouble: str | None = None
        self._alerted: Alert | None = None  # the trouble alerted, resolved when it ends
        self._outage_started: float | None = None

    def __call__(self, outcome: RefreshOutcome) -> None:
        fields = {
            "model": outcome.ref.name,
            "alias": str(outcome.ref.alias),
            "serving": outcome.serving or "none",
        }
        if outcome.status is RefreshStatus.SWAPPED:
            self._swapped(outcome, fields)
        trouble = outcome.trouble
        if trouble == self._trouble:
            return
        self._trouble = trouble
        self._end(outcome, fields)
        if trouble is not None:
            self._start(outcome, fields)

    def _swapped(self, outcome: RefreshOutcome, fields: dict[str, str]) -> None:
        log.info("model swapped", extra={**fields, "previous": outcome.previous})
        # A version from the registry serves now: a start-up fallback is over.
        over = Alert(FALLBACK, "a version from the registry serves again", model=outcome.ref.name)
        self._alerter.resolve(over)

    def _end(self, outcome: RefreshOutcome, fields: dict[str, str]) -> None:
        """The trouble before this one is over (an outage, too, unless this is still one)."""
        if self._outage_started is not None and outcome.status is not RefreshStatus.UNREACHABLE:
            log.warning(
                "registry reachable again",
                extra={**fields, "outage_s": round(time.monotonic() - self._outage_started, 1)},
            )
            self._outage_started = None
        if self._alerted is not None:
            self._alerter.resolve(replace(self._alerted, detail=f"over: serving version {fields['serving']}"))
            self._alerted = None

    def _start(self, outcome: RefreshOutcome, fields: dict[str, str]) -> None:
        if outcome.status is RefreshStatus.UNREACHABLE:
            self._outage_started = time.monotonic()
        subject, message = _ALERTS[outcome.status]
        details = {**fields, "reason": str(outcome.reason)}
        if outcome.candidate is not None:
            details["version"] = outcome.candidate
        text = message.format(ref=outcome.ref, **details)
        log.error(text, extra=details)
        version = outcome.candidate or fields["serving"]
        self._alerted = Alert(subject, text, outcome.ref.name, version, outcome.error, context=details)
        self._alerter.alert(self._alerted)


_ALERTS = {
    RefreshStatus.UNREACHABLE: (
        REGISTRY_UNREACHABLE,
        "the registry cannot be reached; still serving version {serving} of {ref}: {reason}",
    ),
    RefreshStatus.NOT_FOUND: (
        MODEL_NOT_FOUND,
        "{ref} is no longer in the registry; still serving version {serving}: {reason}",
    ),
    RefreshStatus.REFUSED: (
        MODEL_REFUSED,
        "version {version} of {ref} was refused; still serving version {serving}: {reason}",
    ),
}
