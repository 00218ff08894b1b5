"""Serving metrics, counted in process: requests by route and status, events (``Counted``), and
the model version in use.

``observe`` and ``count`` are on the request path, so they only bump counters and one
histogram bucket, and hand the same facts to the running-total recorders (Prometheus), if any.
``drain`` turns the counts since the last drain into ``Metric`` values for a ``MetricsSink``:
requests, latency p50 / p99 / max and the latency distribution per route and status class,
every counted event, each measured value's p50 / p99 / max and distribution (``measure``: the
shadow's latency and differences), and the version in use. An ``ErrorRateAlarm``, when given, is told of
every answered request (its status, model, version and request id). ``PublishMetrics`` drains
them into the sink: every few seconds from a background task, and once more at shutdown.
Nothing here raises for a recorder that fails: a metrics backend never fails a request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import anyio
import anyio.to_thread

from predictor.domain.ports import Counted, EventMeter, Measured, Metric, MetricsRecorder, MetricsSink
from predictor.services.alerting import ErrorRateAlarm
from predictor.services.serving.histogram import DIFFERENCE_BOUNDS, LATENCY_BOUNDS_MS, Histogram
from predictor.services.serving.loading import ModelSlot, ServedModel

log = logging.getLogger(__name__)

TOO_MANY_REQUESTS = 429
# Each measured value's unit and buckets, and the digits its distribution keeps.
MEASURES: dict[Measured, tuple[str, tuple[float, ...], int]] = {
    Measured.SHADOW_LATENCY: ("Milliseconds", LATENCY_BOUNDS_MS, 3),
    Measured.SHADOW_MAX_DIFFERENCE: ("None", DIFFERENCE_BOUNDS, 4),
}


def _labels(served: ServedModel | None) -> tuple[str, str]:
    return (served.version.name, served.version.version) if served is not None else ("", "")


class RequestMetrics(EventMeter):
    """Counts and latency histograms per (route, status class), and event counts, since the
    last drain; ``slot`` (when given) names the model version in use, ``recorders`` get every
    observation as it happens."""

    def __init__(
        self,
        slot: ModelSlot | None = None,
        recorders: Sequence[MetricsRecorder] = (),
        alarm: ErrorRateAlarm | None = None,
    ) -> None:
        self._groups: dict[tuple[str, str], Histogram] = {}
        self._measured: dict[tuple[Measured, tuple[tuple[str, str], ...]], Histogram] = {}
        self._counts: dict[tuple[Counted, tuple[tuple[str, str], ...]], float] = {}
        self._lock = threading.Lock()
        self._slot = slot
        self._recorders = tuple(recorders)
        self._alarm = alarm
        self._told: ServedModel | None = None  # the served model the recorders were last told of
        self._failed = False

    def observe(self, route: str, status: int, latency_ms: float, request_id: str = "") -> None:
        key = (route, f"{status // 100}xx")
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = Histogram()
            group.add(latency_ms)
        if status == TOO_MANY_REQUESTS:
            self.count(Counted.RATE_LIMITED_REQUESTS, route=route)
        if not self._recorders and self._alarm is None:
            return
        served = self._slot.peek() if self._slot is not None else None
        model, version = _labels(served)
        if self._alarm is not None:
            self._alarm.observe(status, model, version, request_id)
        if self._recorders:
            self._tell_serving(served)
            for recorder in self._recorders:
                try:
                    recorder.observe_request(route, status, latency_ms, model, version)
                except Exception:  # noqa: BLE001  # a metrics backend never fails a request
                    self._recorder_failed()

    def count(self, what: Counted, amount: float = 1.0, **labels: str) -> None:
        key = (what, tuple(sorted(labels.items())))
        with self._lock:
            self._counts[key] = self._counts.get(key, 0.0) + amount
        for recorder in self._recorders:
            try:
                recorder.count(what, amount, **labels)
            except Exception:  # noqa: BLE001  # a metrics backend never fails a request or a load
                self._recorder_failed()
        if (
            what in (Counted.MODEL_LOADS, Counted.MODEL_RELOADS, Counted.MODEL_FALLBACKS)
            and self._slot is not None
        ):
            self._tell_serving(self._slot.peek())

    def measure(self, what: Measured, value: float, **labels: str) -> None:
        key = (what, tuple(sorted(labels.items())))
        with self._lock:
            histogram = self._measured.get(key)
            if histogram is None:
                histogram = self._measured[key] = Histogram(MEASURES[what][1])
            histogram.add(value)
        for recorder in self._recorders:
            try:
                recorder.measure(what, value, **labels)
            except Exception:  # noqa: BLE001  # a metrics backend never fails the shadow's worker
                self._recorder_failed()

    def drain(self) -> list[Metric]:
        with self._lock:
            groups, self._groups = self._groups, {}
            counts, self._counts = self._counts, {}
            measured, self._measured = self._measured, {}
        metrics: list[Metric] = []
        for (route, status), group in sorted(groups.items()):
            dims = {"route": route, "status": status}
            values, seen = group.distribution()
            metrics += [
                Metric("requests", group.count, "Count", dims),
                Metric("latency_p50", round(group.percentile(0.5), 3), "Milliseconds", dims),
                Metric("latency_p99", round(group.percentile(0.99), 3), "Milliseconds", dims),
                Metric("latency_max", round(group.maximum, 3), "Milliseconds", dims),
                Metric("latency", round(group.maximum, 3), "Milliseconds", dims, values, seen),
            ]
        metrics += _measurements(measured)
        for (what, labels), amount in sorted(counts.items()):
            metrics.append(Metric(what.value, amount, "Count", dict(labels)))
        served = self._slot.peek() if self._slot is not None else None
        if served is not None and metrics:
            model, version = _labels(served)
            metrics.append(Metric("model_in_use", 1.0, "Count", {"model": model, "version": version}))
        return metrics

    def _tell_serving(self, served: ServedModel | None) -> None:
        if served is None or served is self._told:
            return
        self._told = served
        model, version = _labels(served)
        for recorder in self._recorders:
            try:
                recorder.serving(model, version)
            except Exception:  # noqa: BLE001  # a metrics backend never fails a request
                self._recorder_failed()

    def _recorder_failed(self) -> None:
        if not self._failed:  # once per process: a broken backend must not flood the log
            self._failed = True
            log.exception("a metrics recorder failed; its figures are incomplete from here on")


def _measurements(measured: dict[tuple[Measured, tuple[tuple[str, str], ...]], Histogram]) -> list[Metric]:
    """Each measured value's p50, p99, maximum and distribution, under its labels."""
    metrics: list[Metric] = []
    for (what, labels), histogram in sorted(measured.items()):
        unit, _, digits = MEASURES[what]
        dims, top = dict(labels), round(histogram.maximum, digits)
        values, seen = histogram.distribution(digits)
        metrics += [
            Metric(f"{what.value}_p50", round(histogram.percentile(0.5), digits), unit, dims),
            Metric(f"{what.value}_p99", round(histogram.percentile(0.99), digits), unit, dims),
            Metric(f"{what.value}_max", top, unit, dims),
            Metric(what.value, top, unit, dims, values, seen),
        ]
    return metrics


class PublishMetrics:
    """Publish what ``metrics`` counted since the last time through ``sink``: ``flush`` once
    (nothing when idle), ``run`` every ``interval_s`` seconds (0: only when flushed)."""

    def __init__(self, metrics: RequestMetrics, sink: MetricsSink, interval_s: float) -> None:
        self._metrics = metrics
        self._sink = sink
        self._interval = interval_s

    def flush(self) -> None:
        batch = self._metrics.drain()
        if batch:
            self._sink.publish(batch)

    async def run(self) -> None:
        if self._interval <= 0:
            return
        while True:
            await anyio.sleep(self._interval)
            await anyio.to_thread.run_sync(self.flush)
