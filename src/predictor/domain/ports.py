"""The ports: what the domain needs from the outside world, as typing.Protocols.

Adapters subclass these explicitly (``class MlflowModelRegistry(ModelRegistry)``) so mypy
checks them; ``predictor.adapters.memory`` has an in-memory implementation of each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from predictor.domain.data import ReadOptions, Table, TableChunk
from predictor.domain.evaluation import EvaluationReport, PlotKind
from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.schema import FeatureSchema
from predictor.domain.search import SearchSpace, TrialHandle, TrialRecord, TuningBudget
from predictor.domain.telemetry import Metric

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

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        """Each feature's additive contribution to the model's margin, and the base value.

        For a binary classifier or a regression model: ``(rows x features, rows)``; for a
        multiclass model, one set per class: ``(rows x classes x features, rows x classes)``.
        Per row (and class), the contributions plus the base value add up to the margin: the
        log-odds (binary), the class score before softmax (multiclass) or the value. Raises
        ``InvalidModel`` when the model cannot score the matrix.
        """
        ...


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

    @property
    def params(self) -> Mapping[str, Any]:
        """Every parameter the model was trained with (defaults included) and its rounds."""
        ...

    @property
    def history(self) -> Mapping[str, Sequence[float]]:
        """The validation score after each round, by metric name. The last metric is the one
        early stopping watched; higher is better for ``auc``-like names, lower otherwise."""
        ...

    @property
    def feature_importance(self) -> Mapping[str, float]:
        """Importance per feature name (total gain for trees), zero for unused features."""
        ...


# Called after each boosting round with (round, validation score of the early-stopping
# metric); returning True stops training there.
IterationCallback = Callable[[int, float], bool]


class Boosting(Protocol):
    """A model being trained one round at a time, so that cross-validation can step its folds
    together and stop them all on the mean curve (as ``xgboost.cv`` steps its folds)."""

    def next_round(self) -> Mapping[str, float] | None:
        """Train one more round and return the validation score after it, by metric name (the
        early-stopping metric last); ``None`` once ``num_boost_round`` rounds are trained.
        Raises ``DataError`` when the data or parameters cannot be trained on."""
        ...


class ModelTrainer(Protocol):
    """Fits a model on encoded training rows, stopping early on the validation rows.

    Same rows, params, seed and ``threads`` give the same model, byte for byte. Raises
    ``DataError`` when the data or parameters cannot be trained on.
    """

    def fit(
        self,
        manifest: ModelManifest,
        train: tuple[Matrix, Scores],
        valid: tuple[Matrix, Scores],
        params: Mapping[str, Any],
        seed: int,
        threads: int | None = None,
    ) -> TrainedModel: ...

    def start(
        self,
        manifest: ModelManifest,
        train: tuple[Matrix, Scores],
        valid: tuple[Matrix, Scores],
        params: Mapping[str, Any],
        seed: int,
        threads: int | None = None,
    ) -> Boosting:
        """Begin training round by round, with no early stopping of its own. Alone, its rounds
        are those ``fit`` trains with the same arguments and ``early_stopping_rounds`` 0; models
        stepped in turn on one thread may share a random stream (XGBoost's is per thread), so
        with row or column sampling their rounds differ from lone fits, and are the same again
        whenever the same calls come in the same order."""
        ...


class ModelRegistry(Protocol):
    """Registered models, their versions and aliases, and string tags on models and versions.

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

    def list_versions(self, name: str) -> Sequence[ModelVersion]:
        """Every version of ``name``, newest first, each with its aliases."""
        ...

    def list_models(self) -> Sequence[str]:
        """The names of every registered model, sorted; empty when there is none."""
        ...

    def set_version_tags(self, name: str, version: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags on one version (``ModelVersion.tags`` shows them)."""
        ...

    def model_tags(self, name: str) -> Mapping[str, str]:
        """The tags of the registered model ``name`` itself (not of its versions)."""
        ...

    def set_model_tags(self, name: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags on the registered model ``name``."""
        ...


class TrackedRun(Protocol):
    """One tracked training run."""

    @property
    def run_id(self) -> str: ...

    def log_params(self, params: Mapping[str, Any]) -> None: ...

    def log_metrics(self, metrics: Mapping[str, float]) -> None: ...

    def set_tags(self, tags: Mapping[str, str]) -> None: ...

    def log_dict(self, payload: Mapping[str, Any], filename: str) -> None: ...

    def log_metric_history(self, name: str, values: Sequence[float]) -> None:
        """Log ``values`` as one metric with steps 0, 1, 2, … (a per-round curve)."""
        ...

    def log_artifact(self, content: bytes, path: str) -> None:
        """Store ``content`` as the run's artifact at ``path`` (e.g. ``plots/roc_curve.png``)."""
        ...

    def log_model(self, model: TrainedModel) -> str:
        """Store the model with the run; return the source a registry can register."""
        ...


class ExperimentTracker(Protocol):
    """Where training runs are recorded.

    A run ends finished when its block exits normally, failed when it raises. A run started
    with ``parent_run_id`` is nested under that run (each tuning trial under its search).
    """

    def start_run(
        self, experiment: str, run_name: str, parent_run_id: str | None = None
    ) -> AbstractContextManager[TrackedRun]: ...


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


# One output column per name: labels (strings) or numbers, one value per row of the chunk.
PredictionColumns = Mapping[str, Sequence[str] | npt.NDArray[np.float64]]


class PredictionSink(Protocol):
    """Where batch predictions go, chunk after chunk, in order."""

    def write(self, predictions: PredictionColumns, kept: object) -> None:
        """Append one chunk's predictions, after the chunk's kept columns (``TableChunk.kept``)."""
        ...


class TableFiles(Protocol):
    """Table files (CSV, Parquet) read in chunks and written as they come, for batch scoring."""

    def read(
        self, path: Path, schema: FeatureSchema, keep: Sequence[str], chunk_rows: int
    ) -> Iterable[TableChunk]:
        """The file's rows in order, ``chunk_rows`` at a time (the last chunk shorter), with the
        schema's features (numeric ones as numpy arrays when they hold only numbers) and the
        ``keep`` columns. Raises, while iterating, ``InvalidInput`` when a feature or kept column
        is missing from the file (other columns are ignored) and ``DataError`` when it cannot be
        read."""
        ...

    def write(self, path: Path) -> AbstractContextManager[PredictionSink]:
        """A sink writing to ``path``: the file appears there, complete, only when the block
        exits normally; on an error nothing is left behind."""
        ...


class SecretStore(Protocol):
    """Named secrets. Raises ``ConfigurationError`` when one cannot be read."""

    def get_list(self, name: str) -> Sequence[str]:
        """The secret ``name`` as a list of values (empty when unset)."""
        ...


class DatasetSource(Protocol):
    """Tabular data sets by name or path, as columns of values plus the target's name."""

    def load(self, name: str, options: ReadOptions | None = None) -> Table:
        """Raises ``DataError`` for an unknown name, a missing target, an unreadable, empty or
        malformed file. ``options`` say how to read a file and which column is the target."""
        ...


class Tuner(Protocol):
    """Searches ``space`` for the parameters with the best objective.

    ``objective(trial)`` trains with ``trial.params`` and returns the validation score,
    reporting per-round scores through ``trial.report`` (which may ask it to stop: pruning).
    The same seed and budget in trials give the same sequence of trials. ``on_trial`` is
    called once per finished trial, in trial order, from the calling thread. Returns every
    trial; raises ``DataError`` when no trial completes.
    """

    def tune(
        self,
        space: SearchSpace,
        objective: Callable[[TrialHandle], float],
        budget: TuningBudget,
        seed: int,
        maximize: bool,
        on_trial: Callable[[TrialRecord], None],
    ) -> Sequence[TrialRecord]: ...


class ReportRenderer(Protocol):
    """Draws one plot of an evaluation report as PNG bytes."""

    def render(self, plot: PlotKind, report: EvaluationReport) -> bytes: ...


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
