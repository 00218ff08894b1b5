"""Cache, alerts, secrets, metrics and a fixed clock in memory."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from predictor.domain.alerts import Alert
from predictor.domain.errors import (
    ConfigurationError,
)
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import (
    Alerter,
    Clock,
    Metric,
    MetricsSink,
    ModelCache,
    ProcessMemory,
    SecretStore,
)


class InMemoryModelCache(ModelCache):
    """Cached model directories under a temporary folder; last-good versions in a dict."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="predictor-cache-"))
        self._dirs: dict[tuple[str, str], Path] = {}
        self._last_good: dict[str, ModelVersion] = {}

    def get(self, version: ModelVersion) -> Path | None:
        return self._dirs.get((version.name, version.version))

    def put(self, version: ModelVersion, download: Callable[[Path], Path]) -> Path:
        staging = Path(tempfile.mkdtemp(dir=self.root))
        directory = download(staging)
        self._dirs[(version.name, version.version)] = directory
        return directory

    def remember(self, ref: ModelRef, version: ModelVersion) -> None:
        self._last_good[ref.uri] = version

    def last_good(self, ref: ModelRef) -> tuple[ModelVersion, Path] | None:
        version = self._last_good.get(ref.uri)
        if version is None:
            return None
        directory = self.get(version)
        return (version, directory) if directory is not None else None


class RecordingAlerter(Alerter):
    """Keeps every alert in ``alerts`` and every resolution in ``resolved``, for tests to read back."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self.resolved: list[Alert] = []

    def alert(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def resolve(self, alert: Alert) -> None:
        self.resolved.append(alert)


class StaticSecretStore(SecretStore):
    def __init__(self, secrets: Mapping[str, Sequence[str]] | None = None) -> None:
        self._secrets = {k: list(v) for k, v in (secrets or {}).items()}

    def get_list(self, name: str) -> Sequence[str]:
        if not isinstance(self._secrets.get(name, []), list):
            raise ConfigurationError(f"secret {name!r} is not a list")
        return list(self._secrets.get(name, []))


class RecordingMetricsSink(MetricsSink):
    """Keeps every published batch, for tests to read back."""

    def __init__(self) -> None:
        self.batches: list[list[Metric]] = []

    def publish(self, metrics: Sequence[Metric]) -> None:
        self.batches.append(list(metrics))

    @property
    def metrics(self) -> list[Metric]:
        return [m for batch in self.batches for m in batch]


class FixedClock(Clock):
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class StaticProcessMemory(ProcessMemory):
    """A resident size of ``start`` bytes, growing by ``step`` at each reading (None: unknown)."""

    def __init__(self, start: int | None = None, step: int = 0) -> None:
        self._next = start
        self._step = step

    def resident_bytes(self) -> int | None:
        reading = self._next
        if reading is not None:
            self._next = reading + self._step
        return reading
