"""The ports: what the domain needs from the outside world, as typing.Protocols.

Adapters subclass these explicitly (``class MlflowModelRegistry(ModelRegistry)``) so mypy
checks them; ``predictor.adapters.memory`` has an in-memory implementation of each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from predictor.domain.data import Table
from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelRef, ModelVersion

Matrix = npt.NDArray[np.float32]
Scores = npt.NDArray[np.floating[Any]]


class ServableModel(Protocol):
    """A loaded model, ready to predict.

    ``predict`` takes an encoded float32 matrix (rows x features, schema order) and returns
    the probability of the positive class per row (binary), class probabilities per row
    (multiclass, shape rows x classes) or the predicted value per row (regression).
    """

    @property
    def manifest(self) -> ModelManifest: ...

    def predict(self, matrix: Matrix) -> Scores: ...


class ModelRuntime(Protocol):
    """Loads a model directory (booster + manifest) into a ``ServableModel``.

    Raises ``InvalidModel`` when the directory cannot be served.
    """

    def load(self, directory: Path) -> ServableModel: ...


class TrainedModel(ServableModel, Protocol):
    """A model fresh from training: it predicts, and it can write its model directory."""

    @property
    def native(self) -> object:
        """The framework's own model object, for trackers that store it in their format."""
        ...

    def save(self, directory: Path) -> None:
        """Write the booster file and ``manifest.json`` into ``directory``."""
        ...

    def with_manifest(self, manifest: ModelManifest) -> TrainedModel:
        """The same model with a completed manifest (metrics, input example)."""
        ...


class ModelTrainer(Protocol):
    """Fits a model on encoded training rows, stopping early on the validation rows."""

    def fit(
        self,
        manifest: ModelManifest,
        train: tuple[Matrix, Scores],
        valid: tuple[Matrix, Scores],
        params: Mapping[str, Any],
        seed: int,
    ) -> TrainedModel: ...


class ModelRegistry(Protocol):
    """Registered models, their versions and aliases.

    Raises ``ModelNotFound`` for an unknown name, version or alias and
    ``ModelUnavailable`` when the registry cannot be reached.
    """

    def resolve(self, ref: ModelRef) -> ModelVersion:
        """The version ``ref`` names now."""
        ...

    def download(self, version: ModelVersion, destination: Path) -> Path:
        """Copy the version's model directory under ``destination``; return its path."""
        ...

    def register(self, name: str, source: str, run_id: str | None, tags: Mapping[str, str]) -> ModelVersion:
        """Create a new version of ``name`` from the logged model at ``source``."""
        ...

    def set_alias(self, name: str, alias: str, version: str) -> None: ...

    def list_versions(self, name: str) -> Sequence[ModelVersion]: ...


class TrackedRun(Protocol):
    """One tracked training run."""

    @property
    def run_id(self) -> str: ...

    def log_params(self, params: Mapping[str, Any]) -> None: ...

    def log_metrics(self, metrics: Mapping[str, float]) -> None: ...

    def set_tags(self, tags: Mapping[str, str]) -> None: ...

    def log_dict(self, payload: Mapping[str, Any], filename: str) -> None: ...

    def log_model(self, model: TrainedModel) -> str:
        """Store the model with the run; return the source a registry can register."""
        ...


class ExperimentTracker(Protocol):
    """Where training runs are recorded."""

    def start_run(self, experiment: str, run_name: str) -> AbstractContextManager[TrackedRun]: ...


class ModelCache(Protocol):
    """Model directories kept on local disk, and the last version that loaded well per reference."""

    def get(self, version: ModelVersion) -> Path | None:
        """The cached directory of ``version``, or None when absent or corrupted."""
        ...

    def put(self, version: ModelVersion, download: Callable[[Path], Path]) -> Path:
        """Fill the cache for ``version``: ``download(staging_dir)`` writes the model directory
        and returns it; the cache moves it into place atomically and returns the cached path."""
        ...

    def remember(self, ref: ModelRef, version: ModelVersion) -> None:
        """Record ``version`` as the last good one for ``ref``."""
        ...

    def last_good(self, ref: ModelRef) -> tuple[ModelVersion, Path] | None: ...


class SecretStore(Protocol):
    """Named secrets. Raises ``ConfigurationError`` when one cannot be read."""

    def get_list(self, name: str) -> Sequence[str]:
        """The secret ``name`` as a list of values (empty when unset)."""
        ...


class DatasetSource(Protocol):
    """Tabular data sets by name or path, as columns of values plus the target's name."""

    def load(self, name: str) -> Table:
        """Raises ``DataError`` for an unknown name or an unreadable file."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
