"""Request metrics, aggregated in process and published in batches through ``MetricsSink``.

``observe`` is on every request's path, so it only bumps counters and one histogram bucket;
``drain`` turns the counts since the last drain into ``Metric`` values: requests, errors,
latency p50 / p99 / max per route and status. ``PublishMetrics`` drains them into the
``MetricsSink``: every few seconds from a background task, and once more at shutdown.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

import anyio
import anyio.to_thread

from predictor.domain.ports import Metric, MetricsSink

# Latency bucket upper bounds in ms: 0.05 ms growing by 10 % up to ~60 s (150 buckets).
_BOUNDS = tuple(0.05 * 1.1**k for k in range(150))


@dataclass(slots=True)
class _Group:
    count: int = 0
    latency_max: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(_BOUNDS) + 1))

    def percentile(self, q: float) -> float:
        rank, seen = q * self.count, 0
        for i, n in enumerate(self.buckets):
            seen += n
            if seen >= rank and n:
                return min(_BOUNDS[i] if i < len(_BOUNDS) else self.latency_max, self.latency_max)
        return self.latency_max


class RequestMetrics:
    """Counts and latency histograms per (route, status class) since the last drain."""

    def __init__(self) -> None:
        self._groups: dict[tuple[str, str], _Group] = {}
        self._lock = threading.Lock()

    def observe(self, route: str, status: int, latency_ms: float) -> None:
        key = (route, f"{status // 100}xx")
        with self._lock:
            group = self._groups.get(key)
            if group is None:
                group = self._groups[key] = _Group()
            group.count += 1
            group.buckets[bisect.bisect_left(_BOUNDS, latency_ms)] += 1
            group.latency_max = max(group.latency_max, latency_ms)

    def drain(self) -> list[Metric]:
        with self._lock:
            groups, self._groups = self._groups, {}
        metrics: list[Metric] = []
        for (route, status), group in sorted(groups.items()):
            dims = {"route": route, "status": status}
            metrics += [
                Metric("requests", group.count, "Count", dims),
                Metric("latency_p50", round(group.percentile(0.5), 3), "Milliseconds", dims),
                Metric("latency_p99", round(group.percentile(0.99), 3), "Milliseconds", dims),
                Metric("latency_max", round(group.latency_max, 3), "Milliseconds", dims),
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
