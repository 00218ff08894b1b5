"""Use case: data -> checks -> split -> preprocess -> (tune) -> fit -> evaluate -> track ->
register -> promote."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from predictor.domain.errors import ConfigurationError
from predictor.domain.evaluation import EvaluationReport, plots_for
from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelVersion
from predictor.domain.ports import (
    DatasetSource,
    ExperimentTracker,
    ModelRegistry,
    ModelRuntime,
    ModelTrainer,
    ReportRenderer,
    TrackedRun,
    TrainedModel,
    Tuner,
)
from predictor.domain.ports.training import FitSpec
from predictor.domain.preprocessing import PreprocessingSettings
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.domain.search import TuningBudget, TuningProgress
from predictor.domain.table import ReadOptions
from predictor.services.registry.promotion import PromoteModel
from predictor.services.training.champion import ChallengeChampion, PromotionDecision
from predictor.services.training.data_checks import DataReport, check_table
from predictor.services.training.evaluation import evaluate_scores
from predictor.services.training.preparation import PreparedData, prepare_data
from predictor.services.training.tabular import (
    EXAMPLE_ROWS,
    build_schema,
    encode_columns,
    encode_target,
    fingerprint,
    infer_task,
    split_indices,
    without_columns,
)
from predictor.services.training.tuning import CV_FOLDS, TuneParameters, TuningResult, tune_in_run

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


@dataclass(frozen=True)
class TrainingRequest:
    dataset: str
    experiment: str = "predictor"
    register_as: str | None = None
    promote_to: str | None = None
    if_better: bool = False  # move promote_to only if the new version beats the current one
    seed: int = 42
    test_fraction: float = 0.2
    valid_fraction: float = 0.2
    task: TaskType | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    read: ReadOptions = field(default_factory=ReadOptions)
    drop: tuple[str, ...] = ()
    preprocessing: PreprocessingSettings = field(default_factory=PreprocessingSettings)
    tuning: TuningBudget | None = None
    cv_folds: int = CV_FOLDS  # tuning scores trials by k-fold cross-validation; 1: on the validation rows
    plots: bool = True


@dataclass(frozen=True)
class TrainingOutcome:
    run_id: str
    metrics: Mapping[str, float]
    schema: FeatureSchema
    version: ModelVersion | None = None
    alias: str | None = None
    report: DataReport | None = None
    evaluation: EvaluationReport | None = None
    tuning: TuningResult | None = None
    promotion: PromotionDecision | None = None
    plots: tuple[str, ...] = ()


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
        self._runtime = runtime
        self._tuner = tuner
        self._renderer = renderer
        # Through PromoteModel when given, so the alias's history (for rollback) is kept.
        self._promote = promote

    def __call__(self, request: TrainingRequest, progress: TuningProgress | None = None) -> TrainingOutcome:
        if request.tuning is not None and self._tuner is None:
            raise ConfigurationError("tuning needs a tuner; this adapter set has none")
        if request.cv_folds < 1:
            raise ConfigurationError(f"--cv-folds must be at least 1, not {request.cv_folds}")
        if request.if_better and (self._runtime is None or request.promote_to is None):
            raise ConfigurationError("--if-better needs --promote ALIAS (and a model runtime)")
        table = self._datasets.load(request.dataset, request.read)
        if request.drop:
            table = without_columns(table, request.drop)
        kind = "tune" if request.tuning is not None else "train"
        with self._tracker.start_run(request.experiment, run_name=f"{kind}-{table.name}") as run:
            data_hash = fingerprint(table)
            run.set_tags({"predictor.data_fingerprint": data_hash, "predictor.dataset": table.name})
            report = check_table(table, request.task)
            run.log_dict(report.as_dict(), "data_checks.json")
            for warning in report.warnings:
                log.warning("data check: %s", warning, extra={"dataset": table.name})
            report.raise_on_problems()
            data = prepare_data(
                table,
                report.task,
                request.preprocessing,
                (request.test_fraction, request.valid_fraction),
                request.seed,
            )
            logged = {
                "dataset": table.name,
                "seed": request.seed,
                "task": report.task.value,
                **data.summary(),
            }
            run.log_params(logged)
            model, tuning = self._fit(run, request, data, progress)
            run.log_params({k: v for k, v in model.params.items() if k not in logged})
            model, evaluation, plots = self._evaluate(run, model, data, request.plots)
            source = run.log_model(model)
            outcome = TrainingOutcome(
                run_id=run.run_id,
                metrics=evaluation.metrics,
                schema=data.schema,
                report=report,
                evaluation=evaluation,
                tuning=tuning,
                plots=plots,
            )
            if request.register_as is None:
                return outcome
            version = self._registry.register(
                request.register_as, source, run.run_id, _version_tags(data_hash, evaluation)
            )
            promotion = self._decide(request, data, evaluation)
            if promotion is not None:
                run.log_dict(promotion.as_dict(), "promotion.json")
                run.set_tags({"predictor.promotion": "promoted" if promotion.promote else "kept"})
                if promotion.current is not None:
                    run.log_metrics({f"promotion_current_{promotion.metric}": promotion.current})
        moved = None
        if request.promote_to is not None and (promotion is None or promotion.promote):
            reason = promotion.describe() if promotion is not None else f"trained in run {outcome.run_id}"
            if self._promote is not None:
                self._promote(
                    request.register_as, version.version, request.promote_to, "predictor train", reason
                )
            else:
                self._registry.set_alias(request.register_as, request.promote_to, version.version)
                log.info("alias moved", extra={"model": version.name, "version": version.version})
            moved = request.promote_to
        return replace(outcome, version=version, alias=moved, promotion=promotion)

    def _fit(
        self, run: TrackedRun, request: TrainingRequest, data: PreparedData, progress: TuningProgress | None
    ) -> tuple[TrainedModel, TuningResult | None]:
        draft = ModelManifest(schema=data.schema, booster_file="model.ubj")
        params = dict(request.params)
        tuning = None
        fit_rows = data.train
        rounds: int | None = None
        patience: int | None = None
        if request.tuning is not None and self._tuner is not None:  # __call__ checked the tuner
            tune = TuneParameters(self._trainer, self._tuner, self._tracker)
            tuning = tune_in_run(
                tune, run, draft, data, params, request.seed, request.tuning, request.cv_folds,
                request.experiment, progress,
            )  # fmt: skip
            # Refit on training + validation rows for as many rounds as the best round of the best
            # trial's (mean) validation curve; the test rows stay untouched.
            params.update(tuning.best.params)
            rounds, patience = tuning.best_rounds, 0
            fit_rows = np.sort(np.concatenate([data.train, data.valid]))
        spec = FitSpec(draft, data.part(fit_rows), data.part(data.valid), params, request.seed)
        model = self._trainer.fit(replace(spec, rounds=rounds, patience=patience))
        # After a refit the validation rows were trained on: the best trial's (cross-validated)
        # curve is the honest one.
        history = tuning.best.history if tuning is not None else model.history
        for name, values in history.items():
            run.log_metric_history(f"valid_{name}", list(values))
        return model, tuning

    def _evaluate(
        self, run: TrackedRun, model: TrainedModel, data: PreparedData, plots: bool
    ) -> tuple[TrainedModel, EvaluationReport, tuple[str, ...]]:
        target = data.schema.target
        test_matrix, test_truth = data.part(data.test)
        evaluation = evaluate_scores(
            target.task, target.labels, test_truth, model.predict(test_matrix), model.feature_importance
        )
        model = model.with_manifest(
            replace(
                model.manifest,
                metrics=evaluation.metrics,
                input_example=tuple(data.raw_test_rows(EXAMPLE_ROWS)),
            )
        )
        run.log_metrics({f"test_{k}": v for k, v in evaluation.metrics.items()})
        run.log_dict(dict(model.feature_importance), "feature_importance.json")
        run.log_dict(evaluation.as_dict(), "evaluation.json")
        drawn: list[str] = []
        if plots and self._renderer is not None:
            for plot in plots_for(target.task):
                path = f"plots/{plot.value}.png"
                run.log_artifact(self._renderer.render(plot, evaluation), path)
                drawn.append(path)
        return model, evaluation, tuple(drawn)

    def _decide(
        self, request: TrainingRequest, data: PreparedData, evaluation: EvaluationReport
    ) -> PromotionDecision | None:
        if request.promote_to is None or not request.if_better or request.register_as is None:
            return None
        assert self._runtime is not None  # noqa: S101  # checked in __call__
        challenge = ChallengeChampion(self._registry, self._runtime)
        decision = challenge(
            request.register_as,
            request.promote_to,
            data.schema,
            data.raw_test_rows(),
            data.truth[data.test],
            evaluation.metrics,
        )
        log.info(
            "promotion decided",
            extra={"alias": decision.alias, "promote": decision.promote, "metric": decision.metric,
                   "candidate": decision.candidate, "current": decision.current},
        )  # fmt: skip
        return decision


def _version_tags(data_hash: str, evaluation: EvaluationReport) -> dict[str, str]:
    """What a registry listing shows without opening the run: the data and the test metrics."""
    tags = {f"predictor.metric.test_{k}": f"{v:.6g}" for k, v in evaluation.metrics.items()}
    tags["predictor.data_fingerprint"] = data_hash
    tags["predictor.task"] = evaluation.task.value
    return tags
