"""In-memory implementations of every port: for unit tests and for trying predictor offline.

They behave like the real adapters (same errors, same contracts) without MLflow, XGBoost or
a network. ``LinearModel`` is a small real model (least squares on the encoded matrix), so
the in-memory trainer, registry and runtime together train, register and serve end to end.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from predictor.domain.data import ReadOptions, Table, TableChunk
from predictor.domain.errors import (
    ConfigurationError,
    DataError,
    FieldError,
    InvalidInput,
    InvalidModel,
    ModelNotFound,
    ModelUnavailable,
)
from predictor.domain.evaluation import EvaluationReport, PlotKind
from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import (
    Alerter,
    Clock,
    DatasetSource,
    ExperimentTracker,
    IterationCallback,
    Matrix,
    MetricsSink,
    ModelCache,
    ModelRegistry,
    ModelRuntime,
    ModelTrainer,
    PredictionColumns,
    PredictionSink,
    ReportRenderer,
    Scores,
    SecretStore,
    TableFiles,
    TrackedRun,
    TrainedModel,
    Tuner,
)
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.domain.search import (
    IntParam,
    SearchSpace,
    TrialHandle,
    TrialRecord,
    TrialState,
    TuningBudget,
)
from predictor.domain.telemetry import Metric
from predictor.domain.values import ValueFormat

WEIGHTS_FILE = "weights.json"


class LinearModel(TrainedModel):
    """A least-squares model on the encoded features (missing values count as 0)."""

    def __init__(
        self,
        manifest: ModelManifest,
        weights: np.ndarray,
        params: Mapping[str, Any] | None = None,
        history: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        self._manifest = manifest
        self._weights = weights
        self._params = dict(params or {})
        self._history = {k: list(v) for k, v in (history or {}).items()}

    @property
    def manifest(self) -> ModelManifest:
        return self._manifest

    @property
    def native(self) -> object:
        return self._weights

    @property
    def params(self) -> Mapping[str, Any]:
        return self._params

    @property
    def history(self) -> Mapping[str, Sequence[float]]:
        return self._history

    @property
    def feature_importance(self) -> Mapping[str, float]:
        """The absolute weight of each feature, summed over outputs."""
        magnitude = np.abs(self._weights[:-1]).sum(axis=1)
        return {name: float(v) for name, v in zip(self._manifest.schema.names, magnitude, strict=True)}

    def predict(self, matrix: Matrix) -> Scores:
        design = np.column_stack([np.nan_to_num(matrix.astype(np.float64)), np.ones(len(matrix))])
        raw = design @ self._weights
        task = self._manifest.schema.target.task
        if task is TaskType.REGRESSION:
            return np.asarray(raw[:, 0])
        if task is TaskType.BINARY:
            return np.asarray(1.0 / (1.0 + np.exp(-raw[:, 0])))
        shifted = np.exp(raw - raw.max(axis=1, keepdims=True))
        return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        """Exact for a linear model: weight x value per feature, the bias as base value."""
        values = np.nan_to_num(matrix.astype(np.float64))
        weights, bias = self._weights[:-1], self._weights[-1]
        # rows x features x outputs, then rows x outputs x features.
        parts = np.transpose(values[:, :, None] * weights[None, :, :], (0, 2, 1))
        base = np.broadcast_to(bias, (len(values), len(bias))).copy()
        if self._manifest.schema.target.task is not TaskType.MULTICLASS:
            return parts[:, 0, :], base[:, 0]
        return parts, base

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / WEIGHTS_FILE).write_text(json.dumps(self._weights.tolist()))
        self._manifest.write(directory)

    def with_manifest(self, manifest: ModelManifest) -> LinearModel:
        return LinearModel(manifest, self._weights, self._params, self._history)


class LinearModelTrainer(ModelTrainer):
    """Fits ``LinearModel``: least squares on one-hot (classification) or raw (regression) targets."""

    def __init__(self) -> None:
        self.fits: list[Mapping[str, Any]] = []

    def fit(
        self,
        manifest: ModelManifest,
        train: tuple[Matrix, Scores],
        valid: tuple[Matrix, Scores],
        params: Mapping[str, Any],
        seed: int,
        on_iteration: IterationCallback | None = None,
        threads: int | None = None,
    ) -> LinearModel:
        matrix, truth = train
        task = manifest.schema.target.task
        design = np.column_stack([np.nan_to_num(matrix.astype(np.float64)), np.ones(len(matrix))])
        if task is TaskType.REGRESSION:
            goal = truth.reshape(-1, 1)
        elif task is TaskType.BINARY:
            goal = (truth.reshape(-1, 1) * 8.0) - 4.0  # a logit-ish target for the sigmoid
        else:
            goal = np.eye(len(manifest.schema.target.labels))[truth.astype(int)] * 8.0 - 4.0
        weights, *_ = np.linalg.lstsq(design, goal, rcond=None)
        self.fits.append({"params": dict(params), "seed": seed, "rows": len(matrix), "threads": threads})
        model = LinearModel(replace(manifest, booster_file=WEIGHTS_FILE), weights, {**params, "seed": seed})
        # One "round": the validation RMSE of the scores, so tuning has something to compare.
        valid_matrix, valid_truth = valid
        scores = model.predict(valid_matrix)
        if scores.ndim == 2:
            scores = scores[np.arange(len(valid_truth)), valid_truth.astype(int)]
            valid_truth = np.ones(len(valid_truth))
        rmse = float(np.sqrt(np.mean((scores - valid_truth) ** 2)))
        if on_iteration is not None:
            on_iteration(0, rmse)
        return LinearModel(model.manifest, weights, model.params, {"rmse": [rmse]})


class LinearModelRuntime(ModelRuntime):
    """Loads directories written by ``LinearModel.save``."""

    def load(self, directory: Path) -> LinearModel:
        manifest = ModelManifest.read(directory)
        try:
            weights = np.asarray(
                json.loads((directory / manifest.booster_file).read_text()), dtype=np.float64
            )
        except (OSError, ValueError) as exc:
            raise InvalidModel(f"cannot read the weights in {directory.name}: {exc}") from exc
        return LinearModel(manifest, weights)


@dataclass
class _Entry:
    version: ModelVersion
    directory: Path


class InMemoryModelRegistry(ModelRegistry):
    """Versions and aliases in a dict; model directories stay where the tracker wrote them.

    ``offline = True`` makes every call raise ``ModelUnavailable``, as an unreachable
    registry does.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._models: dict[str, list[_Entry]] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self._model_tags: dict[str, dict[str, str]] = {}
        self._clock = clock or SystemClock()
        self.offline = False
        self.downloads = 0

    def _check_online(self) -> None:
        if self.offline:
            raise ModelUnavailable("the in-memory registry is offline")

    def _entries(self, name: str) -> list[_Entry]:
        if name not in self._models:
            raise ModelNotFound(f"no registered model named {name!r}")
        return self._models[name]

    def _with_aliases(self, version: ModelVersion) -> ModelVersion:
        aliases = tuple(
            sorted(a for (n, a), v in self._aliases.items() if n == version.name and v == version.version)
        )
        return replace(version, aliases=aliases)

    def resolve(self, ref: ModelRef) -> ModelVersion:
        self._check_online()
        entries = self._entries(ref.name)
        wanted = ref.version
        if ref.alias is not None:
            wanted = self._aliases.get((ref.name, ref.alias))
            if wanted is None:
                raise ModelNotFound(f"model {ref.name!r} has no alias {ref.alias!r}")
        for entry in entries:
            if entry.version.version == wanted:
                return self._with_aliases(entry.version)
        raise ModelNotFound(f"model {ref.name!r} has no version {wanted}")

    def download(self, version: ModelVersion, destination: Path) -> Path:
        self._check_online()
        for entry in self._entries(version.name):
            if entry.version.version == version.version:
                target = destination / "model"
                shutil.copytree(entry.directory, target)
                self.downloads += 1
                return target
        raise ModelNotFound(f"model {version.name!r} has no version {version.version}")

    def register(self, name: str, source: str, run_id: str | None, tags: Mapping[str, str]) -> ModelVersion:
        self._check_online()
        directory = Path(source)
        if not directory.is_dir():
            raise ModelNotFound(f"nothing is logged at {source}")
        entries = self._models.setdefault(name, [])
        manifest = ModelManifest.read(directory)
        version = ModelVersion(
            name=name,
            version=str(len(entries) + 1),
            run_id=run_id,
            created_at=self._clock.now(),
            source=source,
            tags=dict(tags),
            # As MLflow reports them: the run's metrics, which training logs as test_<name>.
            metrics={f"test_{k}": v for k, v in manifest.metrics.items()},
        )
        entries.append(_Entry(version, directory))
        return version

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._check_online()
        if not any(e.version.version == version for e in self._entries(name)):
            raise ModelNotFound(f"model {name!r} has no version {version}")
        self._aliases[(name, alias)] = version

    def list_versions(self, name: str) -> Sequence[ModelVersion]:
        self._check_online()
        return [self._with_aliases(e.version) for e in reversed(self._entries(name))]

    def list_models(self) -> Sequence[str]:
        self._check_online()
        return sorted(self._models)

    def set_version_tags(self, name: str, version: str, tags: Mapping[str, str]) -> None:
        self._check_online()
        for entry in self._entries(name):
            if entry.version.version == version:
                entry.version = replace(entry.version, tags={**entry.version.tags, **tags})
                return
        raise ModelNotFound(f"model {name!r} has no version {version}")

    def model_tags(self, name: str) -> Mapping[str, str]:
        self._check_online()
        self._entries(name)
        return dict(self._model_tags.get(name, {}))

    def set_model_tags(self, name: str, tags: Mapping[str, str]) -> None:
        self._check_online()
        self._entries(name)
        self._model_tags.setdefault(name, {}).update(tags)


@dataclass
class RecordedRun(TrackedRun):
    """A run the in-memory tracker keeps: everything logged, for tests to read back."""

    experiment: str
    name: str
    artifacts: Path
    _run_id: str
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    documents: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    histories: dict[str, list[float]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    parent_run_id: str | None = None
    finished: bool = False
    failed: bool = False

    @property
    def run_id(self) -> str:
        return self._run_id

    def log_params(self, params: Mapping[str, Any]) -> None:
        self.params.update(params)

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        self.metrics.update(metrics)

    def set_tags(self, tags: Mapping[str, str]) -> None:
        self.tags.update(tags)

    def log_dict(self, payload: Mapping[str, Any], filename: str) -> None:
        self.documents[filename] = payload

    def log_metric_history(self, name: str, values: Sequence[float]) -> None:
        self.histories[name] = [float(v) for v in values]

    def log_artifact(self, content: bytes, path: str) -> None:
        self.files[path] = content

    def log_model(self, model: TrainedModel) -> str:
        directory = self.artifacts / self._run_id / "model"
        model.save(directory)
        return str(directory)


class InMemoryExperimentTracker(ExperimentTracker):
    """Keeps runs in a list; model directories go under ``root`` (a temporary folder by default)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="predictor-runs-"))
        self.runs: list[RecordedRun] = []
        self._ids = itertools.count(1)

    @contextmanager
    def start_run(
        self, experiment: str, run_name: str, parent_run_id: str | None = None
    ) -> Iterator[RecordedRun]:
        run = RecordedRun(
            experiment, run_name, self.root, f"run-{next(self._ids)}", parent_run_id=parent_run_id
        )
        self.runs.append(run)
        try:
            yield run
        except BaseException:
            run.failed = True
            raise
        run.finished = True

    def children(self, parent: RecordedRun) -> list[RecordedRun]:
        return [run for run in self.runs if run.parent_run_id == parent.run_id]


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


@dataclass(frozen=True)
class Alert:
    subject: str
    message: str
    fields: Mapping[str, str]


class RecordingAlerter(Alerter):
    """Keeps every alert in ``alerts``, for tests to read back."""

    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def alert(self, subject: str, message: str, **fields: str) -> None:
        self.alerts.append(Alert(subject, message, fields))


class StaticSecretStore(SecretStore):
    def __init__(self, secrets: Mapping[str, Sequence[str]] | None = None) -> None:
        self._secrets = {k: list(v) for k, v in (secrets or {}).items()}

    def get_list(self, name: str) -> Sequence[str]:
        if not isinstance(self._secrets.get(name, []), list):
            raise ConfigurationError(f"secret {name!r} is not a list")
        return list(self._secrets.get(name, []))


class InMemoryDatasetSource(DatasetSource):
    def __init__(self, tables: Mapping[str, Table] | None = None) -> None:
        self.tables = dict(tables or {})

    def load(self, name: str, options: ReadOptions | None = None) -> Table:
        try:
            table = self.tables[name]
        except KeyError:
            known = ", ".join(sorted(self.tables)) or "none"
            raise DataError(f"unknown data set {name!r}; known: {known}") from None
        if options is not None and options.target is not None and options.target != table.target:
            return Table(table.name, table.columns, options.target)
        return table


class _Trial:
    """A ``TrialHandle`` (structurally): plain attributes stand for the protocol's properties."""

    def __init__(self, number: int, params: Mapping[str, Any], threads: int) -> None:
        self.number = number
        self.params = params
        self.threads = threads
        self.reports: list[tuple[int, float]] = []

    def report(self, step: int, value: float) -> bool:
        self.reports.append((step, value))
        return False


class SeededRandomTuner(Tuner):
    """Random search with a seeded numpy generator, one trial at a time, never pruning."""

    def __init__(self) -> None:
        self.searches: list[TuningBudget] = []

    def tune(
        self,
        space: SearchSpace,
        objective: Callable[[TrialHandle], float],
        budget: TuningBudget,
        seed: int,
        maximize: bool,
        on_trial: Callable[[TrialRecord], None],
    ) -> Sequence[TrialRecord]:
        self.searches.append(budget)
        rng = np.random.default_rng(seed)
        started = time.monotonic()
        records: list[TrialRecord] = []
        for number in itertools.count():
            if budget.trials is not None and number >= budget.trials:
                break
            if budget.timeout is not None and time.monotonic() - started >= budget.timeout:
                break
            params = {p.name: _sample(p, rng) for p in space}
            began = time.monotonic()
            value = objective(_Trial(number, params, budget.threads))
            state = TrialState.COMPLETE if math.isfinite(value) else TrialState.FAILED
            record = TrialRecord(number, params, state, value, time.monotonic() - began)
            records.append(record)
            on_trial(record)
        if not any(r.state is TrialState.COMPLETE for r in records):
            raise DataError(f"no tuning trial completed ({len(records)} tried)")
        return records


def _sample(param: Any, rng: np.random.Generator) -> float | int:
    if isinstance(param, IntParam):
        return int(rng.integers(param.low, param.high + 1))
    if param.log:
        return float(np.exp(rng.uniform(np.log(param.low), np.log(param.high))))
    return float(rng.uniform(param.low, param.high))


class RecordingReportRenderer(ReportRenderer):
    """Remembers which plots were asked for; each "PNG" is the PNG signature and the plot's name."""

    def __init__(self) -> None:
        self.rendered: list[PlotKind] = []

    def render(self, plot: PlotKind, report: EvaluationReport) -> bytes:
        self.rendered.append(plot)
        return b"\x89PNG\r\n\x1a\n" + plot.value.encode()


class RecordingPredictionSink(PredictionSink):
    """Keeps every chunk written: ``chunks`` of (predictions, kept) pairs."""

    def __init__(self) -> None:
        self.chunks: list[tuple[dict[str, list[Any]], object]] = []

    def write(self, predictions: PredictionColumns, kept: object) -> None:
        self.chunks.append(({k: list(v) for k, v in predictions.items()}, kept))

    def column(self, name: str) -> list[Any]:
        return [value for predictions, _ in self.chunks for value in predictions[name]]


class InMemoryTableFiles(TableFiles):
    """Tables as lists of rows by path (``tables``); what is written lands in ``written`` only
    when the write block completes, as the real adapter renames its file into place."""

    def __init__(self, tables: Mapping[Path, Sequence[Mapping[str, Any]]] | None = None) -> None:
        self.tables = {Path(k): list(v) for k, v in (tables or {}).items()}
        self.written: dict[Path, RecordingPredictionSink] = {}
        self.chunk_sizes: list[int] = []

    def read(
        self, path: Path, schema: FeatureSchema, keep: Sequence[str], chunk_rows: int
    ) -> Iterator[TableChunk]:
        if path not in self.tables:
            raise DataError(f"no such file: {path}")
        rows = self.tables[path]
        missing = [n for n in [*schema.names, *keep] if rows and n not in rows[0]]
        if missing:
            raise InvalidInput([FieldError(None, n, f"is not a column of {path.name}") for n in missing])
        for start in range(0, len(rows), chunk_rows):
            part = rows[start : start + chunk_rows]
            self.chunk_sizes.append(len(part))
            columns = {name: [row.get(name) for row in part] for name in schema.names}
            kept = {name: [row.get(name) for row in part] for name in keep} or None
            yield TableChunk(columns, ValueFormat.JSON, kept, (start + len(part)) / len(rows))

    @contextmanager
    def write(self, path: Path) -> Iterator[RecordingPredictionSink]:
        sink = RecordingPredictionSink()
        yield sink
        self.written[path] = sink


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock(Clock):
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def synthetic_table(rows: int = 200, seed: int = 0, task: TaskType = TaskType.BINARY) -> Table:
    """A small generated data set with numeric, categorical and missing values."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.uniform(-1, 1, size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows)
    signal = 2.0 * x1 - x2 + (colour == "red") * 1.5
    if task is TaskType.REGRESSION:
        target: list[Any] = (signal + rng.normal(scale=0.1, size=rows)).tolist()
    elif task is TaskType.BINARY:
        target = ["yes" if s > 0 else "no" for s in signal]
    else:
        target = ["low" if s < -1 else "mid" if s < 1 else "high" for s in signal]
    x2_list: list[float | None] = [None if i % 17 == 0 else float(v) for i, v in enumerate(x2)]
    return Table(
        name="synthetic",
        columns={"x1": x1.tolist(), "x2": x2_list, "colour": colour.tolist(), "label": target},
        target="label",
    )


__all__ = [
    "Alert",
    "FixedClock",
    "InMemoryDatasetSource",
    "InMemoryExperimentTracker",
    "InMemoryModelCache",
    "InMemoryModelRegistry",
    "InMemoryTableFiles",
    "LinearModel",
    "LinearModelRuntime",
    "LinearModelTrainer",
    "RecordedRun",
    "RecordingAlerter",
    "RecordingMetricsSink",
    "RecordingPredictionSink",
    "RecordingReportRenderer",
    "SeededRandomTuner",
    "StaticSecretStore",
    "SystemClock",
    "synthetic_table",
]


class RecordingMetricsSink(MetricsSink):
    """Keeps every published batch, for tests to read back."""

    def __init__(self) -> None:
        self.batches: list[list[Metric]] = []

    def publish(self, metrics: Sequence[Metric]) -> None:
        self.batches.append(list(metrics))

    @property
    def metrics(self) -> list[Metric]:
        return [m for batch in self.batches for m in batch]
