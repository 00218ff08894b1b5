"""What training needs: data sets, a trainer and its rounds, a tuner, experiment tracking and report plots."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from predictor.domain.evaluation import EvaluationReport, PlotKind
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports.serving import Matrix, Scores, ServableModel
from predictor.domain.schema import FeatureSchema
from predictor.domain.search import SearchPlan, SearchSpace, TrialHandle, TrialRecord, TuningBudget
from predictor.domain.table import ReadOptions, Table

Rows = tuple[Matrix, Scores]  # encoded features and the encoded target, row for row


@dataclass(frozen=True, eq=False)
class FitSpec:
    """One model to fit: what ``ModelTrainer.fit`` and ``ModelTrainer.start`` take.

    ``params`` are the trainer's own parameters, over its defaults. ``rounds`` caps the boosting
    rounds and ``patience`` is how many rounds without a better validation score stop training
    (0: never); either, when set, wins over ``params`` and the trainer's default. ``threads``
    caps the threads this one fit uses (``None``: the trainer's own setting).
    """

    manifest: ModelManifest
    train: Rows
    valid: Rows
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 42
    threads: int | None = None
    rounds: int | None = None
    patience: int | None = None


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
        early-stopping metric last); ``None`` once the spec's rounds are trained.
        Raises ``DataError`` when the data or parameters cannot be trained on."""
        ...


class ModelTrainer(Protocol):
    """Fits a model on encoded training rows, stopping early on the validation rows.

    The same spec gives the same model, byte for byte. Raises ``DataError`` when the data or
    parameters cannot be trained on.
    """

    def fit(self, spec: FitSpec) -> TrainedModel: ...

    def start(self, spec: FitSpec) -> Boosting:
        """Begin training round by round, with no early stopping of its own (``spec.patience``
        is not used). Alone, its rounds are those ``fit`` trains with the same spec and patience
        0; models stepped in turn on one thread may share a random stream (XGBoost's is per
        thread), so with row or column sampling their rounds differ from lone fits, and are the
        same again whenever the same calls come in the same order."""
        ...

    def search_plan(self, schema: FeatureSchema, params: Mapping[str, Any]) -> SearchPlan:
        """What tuning searches for a model of ``schema`` trained with ``params`` over the
        defaults: the space, the validation metric trials are scored on, and how long each
        trial may boost."""
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
