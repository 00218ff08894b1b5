"""Running totals for Prometheus's ``/metrics``, through prometheus_client, one view across workers.

With ``PROMETHEUS_MULTIPROC_DIR`` set before prometheus_client is first imported (``predictor
serve`` sets it for its workers), every process writes its values to files in that directory
and a scrape, answered by any worker, reads them all with ``MultiProcessCollector``: counts add
up across ``--workers N``. Without it, a scrape reads this process's own registry. The metric
objects live in a registry of their own that a multiprocess scrape never reads (it would count
this process twice).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector

from predictor.domain.ports import Counted, MetricsRecorder, MetricsScrape

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "predictor_"
# Request latency bucket bounds in seconds: sub-millisecond answers up to a slow big batch.
LATENCY_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Each event's counter: help text and labels (``Counted`` documents who counts what).
EVENTS: dict[Counted, tuple[str, tuple[str, ...]]] = {
    Counted.ROWS_PREDICTED: ("Rows predicted", ("model", "version")),
    Counted.MODEL_LOADS: ("Model versions loaded at start-up", ("model", "version")),
    Counted.MODEL_RELOADS: ("New model versions swapped in while serving", ("model", "version")),
    Counted.MODEL_FALLBACKS: (
        "Loads that fell back to a cached or exported version",
        ("model", "version", "origin"),
    ),
    Counted.MODEL_LOAD_FAILURES: ("Model loads and refreshes that failed", ("model",)),
    Counted.REJECTED_CONNECTIONS: ("Connections refused or closed by the guard", ("reason",)),
    Counted.RATE_LIMITED_REQUESTS: ("Requests answered 429", ("route",)),
    Counted.LENIENT_READINGS: (
        "Request bodies read more leniently than the strict reading, by reason",
        ("reason",),
    ),
    Counted.CAPTURED_ROWS: ("Captured rows written to the capture store", ("model",)),
    Counted.CAPTURE_DROPPED_ROWS: ("Captured rows dropped, by reason", ("model", "reason")),
}


class PrometheusMetricsRecorder(MetricsRecorder, MetricsScrape):
    """Counters, a latency histogram and the model version in use, labelled by model and version."""

    def __init__(self) -> None:
        own = self._registry = CollectorRegistry(auto_describe=False)
        served = ("route", "model", "version")
        self._requests = Counter(PREFIX + "requests", "Requests answered", (*served, "status"), registry=own)
        self._latency = Histogram(
            PREFIX + "request_duration_seconds",
            "Time from a request's arrival to its answer",
            served,
            buckets=LATENCY_BUCKETS_S,
            registry=own,
        )
        # The largest across live workers: 1 for each version some worker serves now.
        self._in_use = Gauge(
            PREFIX + "model_in_use",
            "1 for the model version served now",
            ("model", "version"),
            multiprocess_mode="livemax",
            registry=own,
        )
        self._events = {
            what: Counter(PREFIX + what.value, text, labels, registry=own)
            for what, (text, labels) in EVENTS.items()
        }
        self._serving: tuple[str, str] | None = None

    def observe_request(self, route: str, status: int, latency_ms: float, model: str, version: str) -> None:
        self._requests.labels(route, model, version, str(status)).inc()
        self._latency.labels(route, model, version).observe(latency_ms / 1000)

    def count(self, what: Counted, amount: float = 1.0, **labels: str) -> None:
        counter = self._events[what]
        counter.labels(*(labels.get(name, "") for name in EVENTS[what][1])).inc(amount)

    def serving(self, model: str, version: str) -> None:
        if self._serving is not None and self._serving != (model, version):
            self._in_use.labels(*self._serving).set(0)
        self._in_use.labels(model, version).set(1)
        self._serving = (model, version)

    def scrape(self) -> tuple[str, bytes]:
        return CONTENT_TYPE_LATEST, generate_latest(self._scraped())

    def serve(self, host: str, port: int) -> Callable[[], None]:
        """prometheus_client's own listener, in a daemon thread (no key: a port of its own is
        kept from clients by the network, as the docs say)."""
        server, thread = start_http_server(port, addr=host, registry=self._scraped())

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

        return stop

    def _scraped(self) -> CollectorRegistry:
        """What a scrape reads: every worker's files in multiprocess mode, else this process."""
        directory = os.environ.get(MULTIPROC_DIR_VARIABLE)
        if not directory:
            return self._registry
        every_worker = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(every_worker, path=directory)  # type: ignore[no-untyped-call]  # untyped upstream
        return every_worker
