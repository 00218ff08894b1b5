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


@dataclass(frozen=True, slots=True)
class SecretVersions:
    """The values of a rotating secret in force: its current one and, once it has rotated, the
    one before (Secrets Manager's ``AWSCURRENT`` and ``AWSPREVIOUS`` stages)."""

    current: str
    previous: str | None = None


class RotatingSecretStore(Protocol):
    """Secrets that rotate, read as the versions in force (Secrets Manager, a fake in tests)."""

    def versions(self, name: str) -> SecretVersions:
        """The current and previous values of the text secret ``name``.

        Raises ``ConfigurationError`` when no such secret exists or it holds no text, and
        ``SecretStoreUnavailable`` when the store cannot be reached, throttles, times out or
        denies access. Never puts a secret value in an error message.
        """
        ...
