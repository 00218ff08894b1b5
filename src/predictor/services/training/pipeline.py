"""Use case: load -> check -> prepare -> tune or fit -> evaluate -> track -> register -> promote.

Each step is a function of steps.py, fitting.py or champion.py that takes a value and returns
the next; ``TrainModel`` only strings them together inside one tracked run.
"""

from __future__ import annotations

import logging

from predictor.domain.ports import (
    DatasetSource,
    ExperimentTracker,
    ModelRegistry,
    ModelRuntime,
    ModelTrainer,
    ReportRenderer,
    TrackedRun,
    Tuner,
)
from predictor.domain.search import TuningProgress
from predictor.services.registry.promotion import PromoteModel
from predictor.services.training.champion import ChallengeChampion
from predictor.services.training.fitting import Fitted, evaluate, fit, tune_and_refit
from predictor.services.training.preparation import PreparedData
from predictor.services.training.profile import fingerprint
from predictor.services.training.promotion import decide, move_alias
from predictor.services.training.request import TrainingOutcome, TrainingRequest
from predictor.services.training.steps import check, load, prepare, register, track
from predictor.services.training.tabular import (
    build_schema,
    encode_columns,
    encode_target,
    infer_task,
    split_indices,
)
from predictor.services.training.tuning import TuneParameters

log = logging.getLogger(__name__)

__all__ = [
    "TrainModel",
    "TrainingOutcome",
    "TrainingRequest",
    "build_schema",
    "encode_columns",
    "encode_target",
    "fingerprint",
    "infer_task",
    "split_indices",
]


class TrainModel:
    """Train on a data set, track the run, and optionally register and promote the model."""

    def __init__(
        self,
        datasets: DatasetSource,
        trainer: ModelTrainer,
        tracker: ExperimentTracker,
        registry: ModelRegistry,
        runtime: ModelRuntime | None = None,
        tuner: Tuner | None = None,
        renderer: ReportRenderer | None = None,
        promote: PromoteModel | None = None,
    ) -> None:
        self._datasets = datasets
        self._trainer = trainer
        self._tracker = tracker
        self._registry = registry
        self._tuner = tuner
        self._renderer = renderer
        self._challenge = ChallengeChampion(registry, runtime) if runtime is not None else None
        # The one way an alias moves: through PromoteModel, which keeps its history for rollback.
        self._promote = promote

    def __call__(self, request: TrainingRequest, progress: TuningProgress | None = None) -> TrainingOutcome:
        request.check_adapters(self._tuner, self._challenge, self._promote)
        table = load(self._datasets, request)
        with self._tracker.start_run(request.experiment, run_name=f"{request.kind}-{table.name}") as run:
            checked = check(run, table, request)
            data = prepare(run, checked, request)
            fitted = self._tune_or_fit(run, data, request, progress)
            evaluated = evaluate(run, fitted, data, self._renderer if request.plots else None, request.seed)
            outcome = track(run, evaluated, checked.report)
            if request.register_as is None:
                return outcome
            outcome = register(self._registry, outcome, request.register_as, checked.fingerprint)
            outcome = self._decide(run, outcome, request, data)
        return self._move_alias(outcome, request)

    def _tune_or_fit(
        self, run: TrackedRun, data: PreparedData, request: TrainingRequest, progress: TuningProgress | None
    ) -> Fitted:
        if request.tuning is None or self._tuner is None:  # check_adapters: no tuner, no tuning
            return fit(self._trainer, run, data, request)
        tune = TuneParameters(self._trainer, self._tuner, self._tracker)
        return tune_and_refit(tune, self._trainer, run, data, request, request.tuning, progress)

    def _decide(
        self, run: TrackedRun, outcome: TrainingOutcome, request: TrainingRequest, data: PreparedData
    ) -> TrainingOutcome:
        if self._challenge is None:
            return outcome
        rows, truth = data.raw_test_rows(), data.truth[data.test]
        return decide(self._challenge, run, outcome, request, data.schema, rows, truth)

    def _move_alias(self, outcome: TrainingOutcome, request: TrainingRequest) -> TrainingOutcome:
        return move_alias(self._promote, outcome, request)
