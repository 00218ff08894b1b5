"""Alerts as structured log records at error level (an SNS alerter can come later)."""

from __future__ import annotations

import logging

from predictor.domain.ports import Alerter

ALERT_LOGGER = "predictor.alerts"
# Attributes of a LogRecord that ``extra`` may not overwrite (logging raises KeyError).
_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class LogAlerter(Alerter):
    """Logs ``alert`` records on the ``predictor.alerts`` logger, where log-based alarms can match them."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger(ALERT_LOGGER)

    def alert(self, subject: str, message: str, **fields: str) -> None:
        extra = {("field_" + k if k in _RESERVED else k): v for k, v in fields.items()}
        try:
            self._log.error("alert: %s", subject, extra={**extra, "alert": subject, "detail": message})
        except Exception:  # the contract: an alert never breaks what raised it
            logging.getLogger(__name__).debug("could not log an alert", exc_info=True)
