"""Alerts as structured log records: an error record when a trouble starts, a warning when it ends."""

from __future__ import annotations

import logging

from predictor.domain.alerts import Alert, AlertState
from predictor.domain.ports import Alerter

ALERT_LOGGER = "predictor.alerts"
# Attributes of a LogRecord that ``extra`` may not overwrite (logging raises KeyError).
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class LogAlerter(Alerter):
    """Logs alerts on the ``predictor.alerts`` logger, where log-based alarms can match them:
    ``alert: <subject>`` at error level, ``resolved: <subject>`` at warning level, each with
    the alert's facts as fields (``alert`` is the subject, ``state`` firing or resolved)."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger(ALERT_LOGGER)

    def alert(self, alert: Alert) -> None:
        self._write(logging.ERROR, alert, AlertState.FIRING)

    def resolve(self, alert: Alert) -> None:
        self._write(logging.WARNING, alert, AlertState.RESOLVED)

    def _write(self, level: int, alert: Alert, state: AlertState) -> None:
        facts = {k: v for k, v in alert.facts(state).items() if v}
        extra = {("field_" + k if k in _RESERVED else k): v for k, v in facts.items()}
        label = "alert" if state is AlertState.FIRING else "resolved"
        try:
            self._log.log(level, "%s: %s", label, alert.subject, extra={**extra, "alert": alert.subject})
        except Exception:  # the contract: an alert never breaks what raised it
            logging.getLogger(__name__).debug("could not log an alert", exc_info=True)
