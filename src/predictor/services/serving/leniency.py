"""Bodies read leniently (``Decoded.leniencies``, ``PredictionResult.leniencies``): counted on
every request, by reason, and logged once per reason per process, so an operator learns which
clients lean on MLflow's leniency without a log line per request. The log names the reason
only, never a value sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from predictor.domain.encoding.leniency import Leniency
from predictor.domain.ports import Counted, EventCounter

log = logging.getLogger(__name__)


class LenientReadings:
    """Counts each leniency a body relied on; warns the first time a reason is seen."""

    def __init__(self, counter: EventCounter | None = None) -> None:
        self._counter = counter
        self._logged: set[Leniency] = set()
        self._lock = threading.Lock()

    def record(self, leniencies: Iterable[Leniency]) -> None:
        for reason in sorted(leniencies):
            if self._counter is not None:
                self._counter.count(Counted.LENIENT_READINGS, reason=reason.value)
            with self._lock:
                first = reason not in self._logged
                self._logged.add(reason)
            if first:
                log.warning(
                    "a request body was read leniently, as mlflow models serve reads it; "
                    "PREDICTOR_INVOCATIONS_STRICT=true refuses such bodies",
                    extra={"reason": reason.value},
                )
