"""Use case: write the captured requests to the capture store, in batches, off the request path.

``WriteCaptured`` takes the due groups from the ``CaptureQueue`` and stores each as one batch
(``CapturedRows``) per served name. It runs on a thread of its own while a server lives
(``start`` / ``stop``, which writes what is held, within a time limit), or is called at the end
of each Lambda invocation (``write_due``: a frozen function runs no thread). A batch the store
refuses is dropped and counted, and alerted once, until a batch is stored again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC

import numpy as np

from predictor.domain.alerts import CAPTURE_FAILING, Alert
from predictor.domain.capture import CapturedRows, clashing_features
from predictor.domain.ports import Alerter, CaptureStore, Counted, EventCounter
from predictor.domain.schema import TaskType
from predictor.services.serving.capture import CapturedRequest, CaptureQueue
from predictor.services.serving.prediction import predicted_labels

log = logging.getLogger(__name__)

STORE_FAILED = "store_failed"
FEATURE_NAMED_LIKE_A_COLUMN = "feature_named_like_a_column"


def captured_rows(requests: Sequence[CapturedRequest]) -> Iterator[CapturedRows]:
    """``requests`` (one served name's) as batches: one per set of features and kind of
    prediction, in order (a reload may change either)."""
    groups: dict[tuple[tuple[str, ...], bool], list[CapturedRequest]] = {}
    for request in requests:
        labelled = request.target.task is not TaskType.REGRESSION
        groups.setdefault((request.features, labelled), []).append(request)
    for (features, labelled), group in groups.items():
        sizes = [len(r) for r in group]
        predictions: tuple[str, ...] | np.ndarray
        if labelled:
            predictions = tuple(
                label for r in group for label in predicted_labels(r.scores, r.target, r.threshold)
            )
        else:
            predictions = np.concatenate([r.scores.astype(np.float64).reshape(-1) for r in group])
        stamps = np.array([r.at.astimezone(UTC).replace(tzinfo=None) for r in group], dtype="datetime64[us]")
        yield CapturedRows(
            features=features,
            matrix=np.concatenate([r.matrix for r in group]),
            predictions=predictions,
            model_names=tuple(r.version.name for r in group for _ in range(len(r))),
            model_versions=tuple(r.version.version for r in group for _ in range(len(r))),
            request_ids=tuple(r.request_id for r in group for _ in range(len(r))),
            timestamps=np.repeat(stamps, sizes),
        )


class WriteCaptured:
    """Store the due batches of ``queue`` in ``store``, counting rows written and dropped on
    ``counter``; a failing store is alerted on ``alerter`` once, resolved by the next success."""

    def __init__(
        self,
        queue: CaptureQueue,
        store: CaptureStore,
        counter: EventCounter | None = None,
        alerter: Alerter | None = None,
        shutdown_s: float = 10.0,
    ) -> None:
        self._queue = queue
        self._store = store
        self._counter = counter
        self._alerter = alerter
        self._shutdown_s = shutdown_s
        self._failing = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._told: set[tuple[str, tuple[str, ...]]] = set()  # the clashing features logged, per served name

    def write_due(self) -> None:
        """Write the groups that are due now (a full batch, or one that has waited long enough)."""
        for group in self._queue.take():
            self._write(group)

    def flush(self) -> None:
        """Write everything held, due or not."""
        for group in self._queue.take(everything=True):
            self._write(group)

    def start(self) -> None:
        """Write in the background, on a daemon thread, until ``stop``."""
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="predictor-capture", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread once it has written what is held, waiting ``shutdown_s`` at most."""
        thread = self._thread
        if thread is None:
            return
        with self._queue.changed:
            self._stopping = True
            self._queue.changed.notify_all()
        thread.join(self._shutdown_s)
        if thread.is_alive():
            log.warning("captured rows were still being written at shutdown; they may be lost")
        self._thread = None

    def _run(self) -> None:
        while True:
            with self._queue.changed:
                while not self._stopping and (wait := self._queue.wait_s()) != 0:
                    self._queue.changed.wait(wait)
                stopping = self._stopping
            if stopping:
                self.flush()
                return
            self.write_due()

    def _write(self, group: Sequence[CapturedRequest]) -> None:
        served = group[0].served
        group = self._storable(served, group)
        try:
            batches = list(captured_rows(group))
        except Exception as exc:  # noqa: BLE001  # rows that cannot be batched are dropped, not the writer
            self._dropped(served, sum(len(r) for r in group), exc)
            return
        for rows in batches:
            try:
                where = self._store.put_batch(served, rows)
            except Exception as exc:  # noqa: BLE001  # a capture store never stops serving
                self._dropped(served, len(rows), exc)
            else:
                self._stored(served, len(rows), where)

    def _storable(self, served: str, group: Sequence[CapturedRequest]) -> list[CapturedRequest]:
        """The requests whose features a capture file can hold; the others are dropped and
        counted, with one log line per served name and clashing features."""
        storable = [r for r in group if not clashing_features(r.features)]
        for request in (r for r in group if clashing_features(r.features)):
            if self._counter is not None:
                reason = FEATURE_NAMED_LIKE_A_COLUMN
                self._counter.count(Counted.CAPTURE_DROPPED_ROWS, len(request), model=served, reason=reason)
            clashing = clashing_features(request.features)
            if (served, clashing) not in self._told:
                self._told.add((served, clashing))
                log.error(
                    "model %s cannot be captured: its features %s are named like a capture column",
                    served, ", ".join(map(repr, clashing)), extra={"model": served},
                )  # fmt: skip
        return storable

    def _stored(self, served: str, rows: int, where: str) -> None:
        log.debug("captured rows written", extra={"model": served, "rows": rows, "where": where})
        if self._counter is not None:
            self._counter.count(Counted.CAPTURED_ROWS, rows, model=served)
        if self._failing:
            self._failing = False
            if self._alerter is not None:
                self._alerter.resolve(Alert(CAPTURE_FAILING, f"captured rows are written again ({where})"))

    def _dropped(self, served: str, rows: int, exc: Exception) -> None:
        if self._counter is not None:
            self._counter.count(Counted.CAPTURE_DROPPED_ROWS, rows, model=served, reason=STORE_FAILED)
        if self._failing:
            return
        self._failing = True
        reason = {"model": served, "reason": str(exc)}
        log.warning("captured rows dropped: the capture store failed", extra=reason)
        if self._alerter is not None:
            detail = f"{rows} captured rows were dropped ({exc}); more are dropped until a write succeeds"
            self._alerter.alert(Alert(CAPTURE_FAILING, detail, error=type(exc).__name__))
