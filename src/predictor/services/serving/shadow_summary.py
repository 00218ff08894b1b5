"""What a shadow challenger did, per pair of versions: the figures the summary route shows, the
metrics it exports, and the promote gate reads.

A pair is (champion version, shadow version): a new version of either starts a new pair, so the
figures of one pair always compare the same two models. How a request is compared:
``shadow_compare``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from predictor.domain.ports import Clock, Counted, EventMeter, Measured
from predictor.services.serving.histogram import Histogram
from predictor.services.serving.shadow_compare import Comparison


@dataclass(slots=True)
class PairFigures:
    """The running figures of one (champion version, shadow version) pair."""

    champion_version: str
    shadow_version: str
    since: datetime
    requests: int = 0
    rows: int = 0
    agreed_rows: int | None = None
    difference_sum: float = 0.0
    max_difference: float = 0.0
    errors: int = 0
    incompatible: int = 0
    latency_ms: Histogram = field(default_factory=Histogram)

    def add(self, comparison: Comparison, latency_ms: float) -> None:
        self.requests += 1
        self.rows += comparison.rows
        if comparison.agreed is not None:
            self.agreed_rows = (self.agreed_rows or 0) + comparison.agreed
        self.difference_sum += comparison.difference_sum
        self.max_difference = max(self.max_difference, comparison.max_difference)
        self.latency_ms.add(latency_ms)

    def as_dict(self) -> dict[str, Any]:
        rows = self.rows
        return {
            "champion_version": self.champion_version,
            "shadow_version": self.shadow_version,
            "since": self.since.isoformat(),
            "requests": self.requests,
            "rows": rows,
            "agreement": None if self.agreed_rows is None or not rows else self.agreed_rows / rows,
            "mean_difference": self.difference_sum / rows if rows else None,
            "max_difference": self.max_difference if rows else None,
            "latency_ms": {
                "p50": round(self.latency_ms.percentile(0.5), 3) if self.requests else None,
                "p99": round(self.latency_ms.percentile(0.99), 3) if self.requests else None,
            },
            "errors": self.errors,
            "incompatible": self.incompatible,
        }


Pair = tuple[str, str]  # (champion version, shadow version)


class ShadowSummary:
    """The figures of every pair seen in this process (oldest first), and the sampled requests
    dropped; each fact also goes to ``meter`` (``Counted`` / ``Measured`` shadow events, labelled
    model, version, shadow_version), when one is given. Thread-safe."""

    def __init__(self, name: str, clock: Clock, meter: EventMeter | None = None) -> None:
        self.name = name
        self._clock = clock
        self._meter = meter
        self._pairs: dict[Pair, PairFigures] = {}
        self._dropped = 0
        self._lock = threading.Lock()

    def record(self, pair: Pair, comparisons: Sequence[Comparison], latency_ms: float) -> None:
        """Requests compared in one shadow call of ``latency_ms``, each counted as taking it."""
        with self._lock:
            figures = self._figures(pair)
            for comparison in comparisons:
                figures.add(comparison, latency_ms)
        if self._meter is None:
            return
        labels = self._labels(pair)
        self._meter.count(Counted.SHADOW_REQUESTS, len(comparisons), **labels)
        self._meter.count(Counted.SHADOW_ROWS, sum(c.rows for c in comparisons), **labels)
        agreed = [c.agreed for c in comparisons if c.agreed is not None]
        if agreed:
            self._meter.count(Counted.SHADOW_AGREED_ROWS, sum(agreed), **labels)
        self._meter.count(Counted.SHADOW_DIFFERENCE, sum(c.difference_sum for c in comparisons), **labels)
        for comparison in comparisons:
            self._meter.measure(Measured.SHADOW_LATENCY, latency_ms, **labels)
            self._meter.measure(Measured.SHADOW_MAX_DIFFERENCE, comparison.max_difference, **labels)

    def failed(self, pair: Pair) -> None:
        with self._lock:
            self._figures(pair).errors += 1
        if self._meter is not None:
            self._meter.count(Counted.SHADOW_ERRORS, 1.0, **self._labels(pair))

    def incompatible(self, pair: Pair) -> None:
        with self._lock:
            self._figures(pair).incompatible += 1
        if self._meter is not None:
            self._meter.count(Counted.SHADOW_INCOMPATIBLE, 1.0, **self._labels(pair))

    def dropped(self) -> None:
        with self._lock:
            self._dropped += 1
        if self._meter is not None:
            self._meter.count(Counted.SHADOW_DROPPED, model=self.name)

    def report(self) -> dict[str, Any]:
        """The summary route's body, less what the shadow itself adds (its reference, sampling)."""
        with self._lock:
            pairs = [figures.as_dict() for figures in self._pairs.values()]
            dropped = self._dropped
        return {"name": self.name, "dropped": dropped, "pairs": pairs}

    def _figures(self, pair: Pair) -> PairFigures:
        figures = self._pairs.get(pair)
        if figures is None:
            figures = self._pairs[pair] = PairFigures(*pair, since=self._clock.now())
        return figures

    def _labels(self, pair: Pair) -> dict[str, str]:
        return {"model": self.name, "version": pair[0], "shadow_version": pair[1]}
