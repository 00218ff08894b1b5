"""Use case: ``predictor train --engine dask``. The single-process run's steps (check, prepare,
fit or tune, evaluate, track, register, promote) on a partitioned table kept on a cluster.

Everything but where the rows are is shared with ``TrainModel``: the data checks read the
merged profile of the parts, the schema and preprocessing are fitted as there (cluster_data.py),
the model is the trainer's own model type, and it is evaluated, logged, registered and promoted
by the same functions. The registered model serves as any other: nothing of the cluster is in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import (
    ExperimentTracker,
    ModelRegistry,
    ModelRuntime,
    ReportRenderer,
    TrackedRun,
    TrainedModel,
    Tuner,
)
from predictor.domain.ports.cluster import TEST, ClusterFit, ClusterTable, EncodedPart, TrainingCluster
from predictor.domain.search import TuningProgress
from predictor.services.registry.promotion import PromoteModel
from predictor.services.training.champion import ChallengeChampion
from predictor.services.training.cluster_data import ClusterData, check_parts
from predictor.services.training.cluster_tuning import tune_on_cluster
from predictor.services.training.fitting import BOOSTER_FILE, Evaluated, Fitted, log_fit, record_evaluation
from predictor.services.training.promotion import decide, move_alias
from predictor.services.training.reference import SampleTraining, feature_references
from predictor.services.training.request import TrainingOutcome, TrainingRequest
from predictor.services.training.steps import register, track
from predictor.services.training.tabular import EXAMPLE_ROWS


@dataclass(frozen=True)
class PredictTest:
    """A kept part's test rows scored by ``model`` (on the worker), with their truth."""

    model: TrainedModel

    def __call__(self, part: EncodedPart, index: int) -> tuple[Any, npt.NDArray[np.float64]]:
        matrix, truth = part.rows(TEST)
        return self.model.predict(matrix), np.asarray(truth, dtype=np.float64)


class TrainOnCluster:
    """Train on a partitioned table on a cluster; track, register and promote as ``TrainModel``."""

    def __init__(
        self,
        cluster: TrainingCluster,
        tracker: ExperimentTracker,
        registry: ModelRegistry,
        runtime: ModelRuntime | None = None,
        tuner: Tuner | None = None,
        renderer: ReportRenderer | None = None,
        promote: PromoteModel | None = None,
    ) -> None:
        self._cluster = cluster
        self._tracker = tracker
        self._registry = registry
        self._tuner = tuner
        self._renderer = renderer
        self._challenge = ChallengeChampion(registry, runtime) if runtime is not None else None
        self._promote = promote

    def __call__(self, request: TrainingRequest, progress: TuningProgress | None = None) -> TrainingOutcome:
        request.check_adapters(self._tuner, self._challenge, self._promote)
        name = dataset_name(request.dataset)
        with (
            self._cluster.table(request.dataset, request.read) as table,
            self._tracker.start_run(request.experiment, run_name=f"{request.kind}-{name}") as run,
        ):
            data = check_parts(run, table, name, request)
            fitted = self._fit(run, table, data, request, progress)
            renderer = self._renderer if request.plots else None
            evaluated, truth = _evaluate(run, table, fitted, data, renderer, request.seed)
            outcome = track(run, evaluated, data.report)
            if request.register_as is None:
                return outcome
            outcome = register(self._registry, outcome, request.register_as, data.fingerprint)
            if self._challenge is not None:
                outcome = decide(self._challenge, run, outcome, request, data.schema, data.test_rows, truth)
        return move_alias(self._promote, outcome, request)

    def _fit(
        self,
        run: TrackedRun,
        table: ClusterTable,
        data: ClusterData,
        request: TrainingRequest,
        progress: TuningProgress | None,
    ) -> Fitted:
        draft = ModelManifest(schema=data.schema, booster_file=BOOSTER_FILE)
        spec = ClusterFit(draft, request.params, request.seed)
        if request.tuning is None or self._tuner is None:
            model = table.fit(spec)
            log_fit(run, model, data.run_params(request.seed), model.history)
            return Fitted(model)
        tuning = tune_on_cluster(table, self._tuner, self._tracker, run, spec, request, progress)
        params = {**request.params, **tuning.best.params}
        best = ClusterFit(draft, params, request.seed, tuning.best_rounds, 0, with_valid=True)
        model = table.fit(best)
        # The validation rows were trained on: the best trial's curve is the honest one.
        log_fit(run, model, data.run_params(request.seed), tuning.best.history)
        return Fitted(model, tuning)


def _evaluate(
    run: TrackedRun,
    table: ClusterTable,
    fitted: Fitted,
    data: ClusterData,
    renderer: ReportRenderer | None,
    seed: int,
) -> tuple[Evaluated, npt.NDArray[np.float64]]:
    """Score the test rows on the workers; the scores and truth (one value or a row of
    probabilities per test row) come back in row order, and are evaluated as single-process.
    The reference profile's features are profiled from a bounded sample of the training rows."""
    scored = [(s, t) for s, t in table.each_kept(PredictTest(fitted.model)) if len(t)]
    scores = np.concatenate([s for s, _ in scored])
    truth = np.concatenate([t for _, t in scored])
    example = data.test_rows[:EXAMPLE_ROWS]
    sample = np.concatenate(table.each_kept(SampleTraining.of(data.rows[0], seed)))
    reference = feature_references(data.schema, sample)
    return record_evaluation(run, fitted, truth, scores, example, reference, renderer), truth


def dataset_name(source: str) -> str:
    """What a run calls a partitioned table: its directory's (or glob's directory's) name."""
    parts = [p for p in source.replace("\\", "/").split("/") if p]
    plain = [p for p in parts if not any(c in p for c in "*?[")]
    return plain[-1] if plain else source


__all__: Sequence[str] = ["TrainOnCluster", "dataset_name"]
