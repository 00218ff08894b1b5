"""What every process needs from its surroundings: a clock, alerts, metrics and secrets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from predictor.domain.alerts import Alert


@dataclass(frozen=True, slots=True)
class Metric:
    """One measurement, named and with its unit, grouped by its dimensions.

    A distribution (a latency histogram) also carries ``values`` and how many times each was
    seen (``counts``, same length); ``value`` is then a summary (the maximum) for a sink that
    takes one number.
    """

    name: str
    value: float
    unit: str
    dimensions: Mapping[str, str] = field(default_factory=dict)
    values: tuple[float, ...] = ()
    counts: tuple[float, ...] = ()


class Counted(StrEnum):
    """What serving counts besides requests, and the labels each is given (``count``)."""

    ROWS_PREDICTED = "rows_predicted"  # model, version
    MODEL_LOADS = "model_loads"  # model, version: a version loaded at start-up
    MODEL_RELOADS = "model_reloads"  # model, version: a new version swapped in while serving
    MODEL_FALLBACKS = "model_fallbacks"  # model, version, origin (cache | export)
    MODEL_LOAD_FAILURES = "model_load_failures"  # model
    REJECTED_CONNECTIONS = "rejected_connections"  # reason (connections.Reason)
    RATE_LIMITED_REQUESTS = "rate_limited_requests"  # route
    LENIENT_READINGS = "lenient_readings"  # reason (encoding.lenient.Leniency): bodies read leniently
    CAPTURED_ROWS = "captured_rows"  # model (the served name): rows written to the capture store
    # model, reason (queue_full | store_failed | feature_named_like_a_column)
    CAPTURE_DROPPED_ROWS = "capture_dropped_rows"
    # A shadow challenger (services/serving/shadow.py), per pair: model, version, shadow_version.
    SHADOW_REQUESTS = "shadow_requests"  # requests the shadow scored
    SHADOW_ROWS = "shadow_rows"  # rows compared
    SHADOW_AGREED_ROWS = "shadow_agreed_rows"  # rows given the same label (classifiers)
    SHADOW_DIFFERENCE = "shadow_difference"  # sum of each row's absolute difference: mean = / rows
    SHADOW_ERRORS = "shadow_errors"  # requests the shadow failed to score
    SHADOW_INCOMPATIBLE = "shadow_incompatible"  # requests whose rows the shadow cannot read
    SHADOW_DROPPED = "shadow_dropped"  # model: sampled requests dropped (queue full, no shadow loaded)


class Measured(StrEnum):
    """What serving measures as a distribution (``measure``), with the same labels as the
    ``Counted`` shadow events: model, version, shadow_version."""

    SHADOW_LATENCY = "shadow_latency"  # milliseconds the shadow took to score one request
    SHADOW_MAX_DIFFERENCE = "shadow_max_difference"  # one request's largest absolute difference


class Clock(Protocol):
    def now(self) -> datetime: ...


class Alerter(Protocol):
    """Tells a person that something needs attention (a refused model, a registry outage).

    ``alert`` says a trouble started (or goes on), ``resolve`` that it is over; the ``Alert``
    (domain/alerts.py) names it and is already redacted. Neither may raise nor wait on a
    network: an alert that cannot be sent is logged, and serving goes on. De-duplication is
    ``services.alerting.AlertGate``'s, in front of any alerter.
    """

    def alert(self, alert: Alert) -> None: ...

    def resolve(self, alert: Alert) -> None: ...


class MetricsSink(Protocol):
    """Where batches of metrics go (CloudWatch EMF log lines, PutMetricData, a recorder in tests).

    ``publish`` gets the metrics of one flush interval, from a background task, never from a
    request. It must not raise (a failing sink must never fail a request or the flush loop) and
    must return within its own timeouts.
    """

    def publish(self, metrics: Sequence[Metric]) -> None: ...


class EventCounter(Protocol):
    """Counts an event as it happens (``Counted`` names the events and their labels).

    Called on the request path and from loads: cheap, in process, and must not raise.
    """

    def count(self, what: Counted, amount: float = 1.0, **labels: str) -> None: ...


class EventMeter(EventCounter, Protocol):
    """Counts events and measures values as they happen (``Measured`` names the values).

    Called off the request path (the shadow's worker), but by the same rules: cheap, in
    process, and must not raise.
    """

    def measure(self, what: Measured, value: float, **labels: str) -> None: ...


class MetricsRecorder(EventMeter, Protocol):
    """Keeps running totals as they happen, for a scraper to read (Prometheus).

    ``observe_request``: one answered request, its route template, status and latency, and the
    model version that served it (empty strings when none was loaded). ``serving``: the model
    version now in use in this process. ``measure``: one value of a distribution. None of them
    may raise; all but ``measure`` are on the request path.
    """

    def observe_request(
        self, route: str, status: int, latency_ms: float, model: str, version: str
    ) -> None: ...

    def serving(self, model: str, version: str) -> None: ...


class MetricsScrape(Protocol):
    """The running totals for a scraper: ``scrape`` gives them in its text format (content type,
    body); ``serve`` answers scrapes on a listener of their own (``host``, ``port``), in the
    background, until the function it returns is called. Raises ``OSError`` when the port
    cannot be bound."""

    def scrape(self) -> tuple[str, bytes]: ...

    def serve(self, host: str, port: int) -> Callable[[], None]: ...


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
