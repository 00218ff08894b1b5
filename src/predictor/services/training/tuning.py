"""Use case: search the trainer's parameters by cross-validation (or on the validation rows),
each trial a run nested under the tuning run. What a trial does, and which is best, is
``TrialSearch`` (trials.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from predictor.domain.errors import ConfigurationError, DataError
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import ExperimentTracker, ModelTrainer, TrackedRun, Tuner
from predictor.domain.ports.training import FitSpec
from predictor.domain.search import (
    SearchPlan,
    TrialHandle,
    TrialRecord,
    TrialState,
    TuningBudget,
    TuningProgress,
    TuningResult,
)
from predictor.services.training.cross_validation import Fold, fold_indices
from predictor.services.training.preparation import PreparedData
from predictor.services.training.trials import Curve, TrialSearch, cross_validated

__all__ = ["CV_FOLDS", "ParameterSearch", "TuneParameters", "TuningResult", "tune_in_run", "tuning_folds"]

# Trials are scored by 5-fold cross-validation of the training and validation rows by default.
CV_FOLDS = 5


def tuning_folds(data: PreparedData, folds: int, seed: int) -> list[Fold]:
    """What each trial trains and is scored on: the training and validation splits when
    ``folds`` is 1, otherwise ``folds`` seeded folds of those rows together (never test rows)."""
    if folds < 1:
        raise ConfigurationError(f"the number of cross-validation folds must be at least 1, not {folds}")
    if folds == 1:
        return [(data.part(data.train), data.part(data.valid))]
    rows = np.sort(np.concatenate([data.train, data.valid]))
    pairs = fold_indices(data.truth, data.schema.target.task, rows, folds, seed)
    return [(data.part(train), data.part(valid)) for train, valid in pairs]


class TuneParameters:
    """Run the tuner over the trainer, log each trial as a run nested under ``parent_run_id``."""

    def __init__(self, trainer: ModelTrainer, tuner: Tuner, tracker: ExperimentTracker) -> None:
        self._trainer = trainer
        self._search = ParameterSearch(tuner, tracker)

    def __call__(
        self,
        manifest: ModelManifest,
        folds: Sequence[Fold],
        params: Mapping[str, Any],
        seed: int,
        budget: TuningBudget,
        experiment: str,
        parent_run_id: str,
        progress: TuningProgress | None = None,
    ) -> TuningResult:
        """Each trial trains one model per fold; its score is the best round of the mean
        validation curve (with one fold: of the validation curve)."""
        plan = self._trainer.search_plan(manifest.schema, params)
        specs = [FitSpec(manifest, train, valid, params, seed) for train, valid in folds]
        curve = cross_validated(self._trainer, plan, specs)
        return self._search(plan, curve, len(folds), seed, budget, experiment, parent_run_id, progress)


class ParameterSearch:
    """The tuner's search over a plan, each trial a run nested under the tuning run."""

    def __init__(self, tuner: Tuner, tracker: ExperimentTracker) -> None:
        self._tuner = tuner
        self._tracker = tracker

    def __call__(
        self,
        plan: SearchPlan,
        curve: Callable[[TrialHandle], Curve],
        folds: int,
        seed: int,
        budget: TuningBudget,
        experiment: str,
        parent_run_id: str,
        progress: TuningProgress | None = None,
    ) -> TuningResult:
        """Run the tuner over ``plan``'s space, each trial scored by the best round of its
        ``curve``, logged as a run nested under ``parent_run_id``."""
        search = TrialSearch(
            plan, curve, lambda record: self._log_trial(experiment, parent_run_id, plan.metric, record)
        )

        def finished(record: TrialRecord) -> None:
            record = search.finished(record)
            if progress is not None:
                progress.trial_finished(record, search.best)

        if progress is not None:
            progress.started(budget.trials, budget.timeout)
        try:
            trials = self._tuner.tune(plan.space, search.objective, budget, seed, plan.maximize, finished)
        finally:
            if progress is not None:
                progress.finished()
        if search.best is None:
            raise DataError(f"no tuning trial completed ({len(trials)} tried); see the trial runs for why")
        return TuningResult(plan.metric, plan.maximize, search.best, tuple(trials), folds)

    def _log_trial(
        self,
        experiment: str,
        parent_run_id: str,
        metric: str,
        record: TrialRecord,
    ) -> None:
        with self._tracker.start_run(
            experiment, f"trial-{record.number}", parent_run_id=parent_run_id
        ) as run:
            run.log_params(dict(record.params))
            run.set_tags(
                {"predictor.trial.number": str(record.number), "predictor.trial.state": record.state.value}
            )
            if record.value is not None:
                run.log_metrics({f"valid_{metric}": record.value, "trial_seconds": record.seconds})
            for name, values in record.history.items():
                run.log_metric_history(f"valid_{name}", values)


def tune_in_run(
    tune: TuneParameters,
    run: TrackedRun,
    manifest: ModelManifest,
    data: PreparedData,
    params: Mapping[str, Any],
    seed: int,
    budget: TuningBudget,
    folds: int,
    experiment: str,
    progress: TuningProgress | None = None,
) -> TuningResult:
    """Tune inside the training run ``run``: the trials nest under it, and it records the
    search (``tuning.json``), the budget and the best score."""
    result = tune(
        manifest, tuning_folds(data, folds, seed), params, seed, budget, experiment, run.run_id, progress
    )
    log_tuning(run, result, budget, folds)
    return result


def log_tuning(run: TrackedRun, result: TuningResult, budget: TuningBudget, folds: int) -> None:
    """Record a search in its training run: ``tuning.json``, the budget and the best score."""
    run.log_dict(result.as_dict(), "tuning.json")
    run.log_params(
        {
            "tuning_trials": budget.trials,
            "tuning_timeout": budget.timeout,
            "tuning_parallel": budget.parallel,
            "tuning_cv_folds": folds,
        }
    )
    run.log_metrics(
        {
            f"tuning_best_valid_{result.metric}": float(result.best.value or 0.0),
            "tuning_trials_complete": result.count(TrialState.COMPLETE),
            "tuning_trials_pruned": result.count(TrialState.PRUNED),
            "tuning_trials_failed": result.count(TrialState.FAILED),
        }
    )
