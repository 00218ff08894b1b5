"""What every process needs from its surroundings: a clock, alerts, metrics and secrets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Metric:
    """One measurement, named and with its unit, grouped by its dimensions."""

    name: str
    value: float
    unit: str
    dimensions: Mapping[str, str] = field(default_factory=dict)


class Clock(Protocol):
    def now(self) -> datetime: ...


class Alerter(Protocol):
    """Tells a person that something needs attention (a refused model, a registry outage).

    ``subject`` is a short stable summary (``registry unreachable``), ``message`` says what
    happened in a sentence, ``fields`` are string details (model, version, reason). Must not
    raise: an alert that cannot be sent is logged, and serving goes on.
    """

    def alert(self, subject: str, message: str, **fields: str) -> None: ...


class MetricsSink(Protocol):
    """Where batches of metrics go (CloudWatch EMF log lines, a recorder in tests).

    ``publish`` gets the metrics of one flush interval; it must not raise (a failing sink
    must never fail a request or the flush loop).
    """

    def publish(self, metrics: Sequence[Metric]) -> None: ...


class SecretStore(Protocol):
    """Named secrets. Raises ``ConfigurationError`` when one cannot be read."""

    def get_list(self, name: str) -> Sequence[str]:
        """The secret ``name`` as a list of values (empty when unset)."""
        ...
