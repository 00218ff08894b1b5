"""Tuning on a cluster: the trials run one after another, each one trained on every worker.

Each trial fits on the kept training rows and is scored on the validation rows (one fold: the
rows are many, and cross-validation would train each trial several times over them), stopping
early on its own validation curve; trials are not pruned, since the boosting runs on the
workers. The search, its trial runs and its records are the single-process engine's
(``TuneParameters.search``). Why one trial at a time: docs/training.md.
"""

from __future__ import annotations

from dataclasses import replace

from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import ExperimentTracker, TrackedRun, Tuner
from predictor.domain.ports.cluster import ClusterFit, ClusterTable
from predictor.domain.search import TrialHandle, TuningBudget, TuningProgress, TuningResult
from predictor.services.training.request import TrainingRequest
from predictor.services.training.trials import Curve
from predictor.services.training.tuning import ParameterSearch, log_tuning


def tune_on_cluster(
    table: ClusterTable,
    tuner: Tuner,
    tracker: ExperimentTracker,
    run: TrackedRun,
    spec: ClusterFit,
    request: TrainingRequest,
    progress: TuningProgress | None,
) -> TuningResult:
    """Search the parameters with ``request.tuning``'s budget, one trial at a time."""
    budget = request.tuning
    if budget is None:
        raise ConfigurationError("tuning on the cluster needs a tuning budget")
    if request.cv_folds != 1:
        raise ConfigurationError(
            "--engine dask scores tuning trials on the validation rows: give --cv-folds 1 (or leave it out)"
        )
    budget = TuningBudget(budget.trials, budget.timeout, parallel=1, threads=budget.threads)
    plan = table.search_plan(spec.manifest.schema, spec.params)

    def curve(trial: TrialHandle) -> Curve:
        fit = replace(
            spec, params={**spec.params, **trial.params}, rounds=plan.rounds, patience=plan.patience
        )
        return {name: tuple(values) for name, values in table.fit(fit).history.items()}

    search = ParameterSearch(tuner, tracker)
    result = search(plan, curve, 1, request.seed, budget, request.experiment, run.run_id, progress)
    log_tuning(run, result, budget, 1)
    return result
