"""The request capture's builders (docs/capture.md): each is None when ``PREDICTOR_CAPTURE_URI``
is unset, so a process without capture holds no queue, no thread and no store."""

from __future__ import annotations

from predictor.config import Settings
from predictor.domain.ports import Alerter, CaptureStore, Clock, EventCounter
from predictor.services.serving.capture import CaptureQueue, CaptureRequests
from predictor.services.serving.capture_writer import WriteCaptured


def queue(settings: Settings) -> CaptureQueue | None:
    given = settings.capture
    if not given.enabled:
        return None
    return CaptureQueue(given.capture_queue_rows, given.capture_batch_rows, given.capture_interval_s)


def capture_requests(
    settings: Settings, queue: CaptureQueue | None, clock: Clock, counter: EventCounter
) -> CaptureRequests | None:
    if queue is None:
        return None
    return CaptureRequests(queue, settings.capture.capture_sample_percent, clock, counter)


def write_captured(
    settings: Settings,
    queue: CaptureQueue | None,
    store: CaptureStore | None,
    counter: EventCounter,
    alerter: Alerter,
) -> WriteCaptured | None:
    if queue is None or store is None:
        return None
    return WriteCaptured(queue, store, counter, alerter, settings.capture.capture_shutdown_s)
