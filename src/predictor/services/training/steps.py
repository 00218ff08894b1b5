"""The steps of a training run that read, check, prepare, track and register: each takes a value
and returns the next, logging what it did to the run.

Fitting, tuning and evaluating are in fitting.py; the promotion decision in champion.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from predictor.domain.ports import DatasetSource, ModelRegistry, TrackedRun
from predictor.domain.table import Table
from predictor.services.training.data_checks import DataReport, check_profile
from predictor.services.training.fitting import Evaluated
from predictor.services.training.preparation import PreparedData, prepare_data
from predictor.services.training.profile import profile_table
from predictor.services.training.request import TrainingOutcome, TrainingRequest
from predictor.services.training.tabular import without_columns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedTable:
    """A table that passed the data checks, with the checks' report and its fingerprint."""

    table: Table
    report: DataReport
    fingerprint: str


def load(datasets: DatasetSource, request: TrainingRequest) -> Table:
    """The requested data set, without the columns the request drops."""
    table = datasets.load(request.dataset, request.read)
    return without_columns(table, request.drop) if request.drop else table


def check(run: TrackedRun, table: Table, request: TrainingRequest) -> CheckedTable:
    """Run the data checks, log their report and warnings; raise ``DataCheckFailed`` on problems."""
    profile = profile_table(table)
    data_hash = profile.fingerprint
    run.set_tags({"predictor.data_fingerprint": data_hash, "predictor.dataset": table.name})
    report = check_profile(profile, request.task)
    run.log_dict(report.as_dict(), "data_checks.json")
    for warning in report.warnings:
        log.warning("data check: %s", warning, extra={"dataset": table.name})
    report.raise_on_problems()
    return CheckedTable(table, report, data_hash)


def prepare(run: TrackedRun, checked: CheckedTable, request: TrainingRequest) -> PreparedData:
    """Split and encode the checked table (see preparation.py) and log the run's parameters."""
    fractions = (request.test_fraction, request.valid_fraction)
    data = prepare_data(checked.table, checked.report.task, request.preprocessing, fractions, request.seed)
    run.log_params(data.run_params(request.seed))
    return data


def track(run: TrackedRun, evaluated: Evaluated, report: DataReport) -> TrainingOutcome:
    """Store the model with the run: the outcome of an unregistered run."""
    source = run.log_model(evaluated.model)
    return TrainingOutcome(
        run_id=run.run_id,
        metrics=evaluated.evaluation.metrics,
        schema=evaluated.model.manifest.schema,
        report=report,
        evaluation=evaluated.evaluation,
        tuning=evaluated.tuning,
        plots=evaluated.plots,
        source=source,
    )


def register(registry: ModelRegistry, outcome: TrainingOutcome, name: str, data_hash: str) -> TrainingOutcome:
    """Register the tracked model under ``name``, tagged with what a registry listing shows
    without opening the run: the data and the test metrics."""
    tags = {f"predictor.metric.test_{k}": f"{v:.6g}" for k, v in outcome.metrics.items()}
    tags["predictor.data_fingerprint"] = data_hash
    if outcome.evaluation is not None:
        tags["predictor.task"] = outcome.evaluation.task.value
    version = registry.register(name, outcome.source, outcome.run_id, tags)
    return replace(outcome, version=version)
