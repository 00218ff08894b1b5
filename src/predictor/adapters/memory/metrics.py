"""A metrics recorder that keeps what it is told, for tests to read back."""

from __future__ import annotations

from dataclasses import dataclass

from predictor.domain.ports import Counted, Measured, MetricsRecorder


@dataclass(frozen=True)
class ObservedRequest:
    route: str
    status: int
    latency_ms: float
    model: str
    version: str


class RecordingMetricsRecorder(MetricsRecorder):
    """Keeps every request observed, the running count per (event, labels), every value measured
    and the version served."""

    def __init__(self) -> None:
        self.requests: list[ObservedRequest] = []
        self.counts: dict[tuple[Counted, tuple[tuple[str, str], ...]], float] = {}
        self.served: list[tuple[str, str]] = []
        self.measured: list[tuple[Measured, float, tuple[tuple[str, str], ...]]] = []

    def observe_request(self, route: str, status: int, latency_ms: float, model: str, version: str) -> None:
        self.requests.append(ObservedRequest(route, status, latency_ms, model, version))

    def count(self, what: Counted, amount: float = 1.0, **labels: str) -> None:
        key = (what, tuple(sorted(labels.items())))
        self.counts[key] = self.counts.get(key, 0.0) + amount

    def measure(self, what: Measured, value: float, **labels: str) -> None:
        self.measured.append((what, value, tuple(sorted(labels.items()))))

    def serving(self, model: str, version: str) -> None:
        self.served.append((model, version))

    def total(self, what: Counted) -> float:
        """Everything counted as ``what``, whatever its labels."""
        return float(sum(n for (event, _), n in self.counts.items() if event is what))
