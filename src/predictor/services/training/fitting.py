"""The middle of a training run: fit (or tune, then refit) and evaluate on the test rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.evaluation import EvaluationReport, plots_for
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import ModelTrainer, ReportRenderer, Scores, TrackedRun, TrainedModel
from predictor.domain.ports.training import FitSpec
from predictor.domain.search import TuningBudget, TuningProgress, TuningResult
from predictor.services.training.evaluation import evaluate_scores
from predictor.services.training.preparation import PreparedData
from predictor.services.training.reference import FeatureReferences, feature_references, training_sample
from predictor.services.training.request import TrainingRequest
from predictor.services.training.tabular import EXAMPLE_ROWS
from predictor.services.training.tuning import TuneParameters, tune_in_run

BOOSTER_FILE = "model.ubj"  # the draft's name; the trainer names the file it writes


@dataclass(frozen=True)
class Fitted:
    """The model to evaluate, and the search that chose its parameters (when tuned)."""

    model: TrainedModel
    tuning: TuningResult | None = None


@dataclass(frozen=True)
class Evaluated:
    """The model with its completed manifest, its test evaluation and the plots logged."""

    model: TrainedModel
    evaluation: EvaluationReport
    tuning: TuningResult | None = None
    plots: tuple[str, ...] = ()


def fit(trainer: ModelTrainer, run: TrackedRun, data: PreparedData, request: TrainingRequest) -> Fitted:
    """Fit on the training rows, stopping early on the validation rows."""
    spec = FitSpec(_draft(data), data.part(data.train), data.part(data.valid), request.params, request.seed)
    model = trainer.fit(spec)
    log_fit(run, model, data.run_params(request.seed), model.history)
    return Fitted(model)


def tune_and_refit(
    tune: TuneParameters,
    trainer: ModelTrainer,
    run: TrackedRun,
    data: PreparedData,
    request: TrainingRequest,
    budget: TuningBudget,
    progress: TuningProgress | None,
) -> Fitted:
    """Search the parameters, then refit the best on the training and validation rows together,
    for as many rounds as the best round of the best trial's (mean) validation curve; the test
    rows stay untouched."""
    draft = _draft(data)
    tuning = tune_in_run(
        tune, run, draft, data, request.params, request.seed, budget, request.cv_folds, request.experiment,
        progress,
    )  # fmt: skip
    rows = np.sort(np.concatenate([data.train, data.valid]))
    params = {**request.params, **tuning.best.params}
    spec = FitSpec(draft, data.part(rows), data.part(data.valid), params, request.seed)
    model = trainer.fit(replace(spec, rounds=tuning.best_rounds, patience=0))
    # The validation rows were trained on: the best trial's (cross-validated) curve is the honest one.
    log_fit(run, model, data.run_params(request.seed), tuning.best.history)
    return Fitted(model, tuning)


def _draft(data: PreparedData) -> ModelManifest:
    return ModelManifest(schema=data.schema, booster_file=BOOSTER_FILE)


def log_fit(
    run: TrackedRun, model: TrainedModel, logged: Mapping[str, Any], history: Mapping[str, Sequence[float]]
) -> None:
    """Log the model's parameters (those the data's ``logged`` parameters do not name) and its
    validation curves."""
    run.log_params({k: v for k, v in model.params.items() if k not in logged})
    for name, values in history.items():
        run.log_metric_history(f"valid_{name}", list(values))


def evaluate(
    run: TrackedRun, fitted: Fitted, data: PreparedData, renderer: ReportRenderer | None, seed: int
) -> Evaluated:
    """Score the test rows, complete the manifest (metrics, input example, reference profile),
    log the evaluation and, with a renderer, its plots."""
    test_matrix, test_truth = data.part(data.test)
    scores = fitted.model.predict(test_matrix)
    sample = data.matrix[training_sample(data.train, seed)]
    reference = feature_references(data.schema, sample)
    example = data.raw_test_rows(EXAMPLE_ROWS)
    return record_evaluation(run, fitted, test_truth, scores, example, reference, renderer)


def record_evaluation(
    run: TrackedRun,
    fitted: Fitted,
    truth: npt.NDArray[np.float64],
    scores: Scores,
    example: Sequence[Mapping[str, Any]],
    reference: FeatureReferences,
    renderer: ReportRenderer | None,
) -> Evaluated:
    """The model's test evaluation from its scores of the test rows: the manifest completed
    with the metrics, an input example and the reference profile (``reference``'s features, the
    predictions of ``scores``), the evaluation (and its plots) logged."""
    target = fitted.model.manifest.schema.target
    model = fitted.model
    evaluation = evaluate_scores(target.task, target.labels, truth, scores, model.feature_importance)
    completed = replace(
        model.manifest,
        metrics=evaluation.metrics,
        input_example=tuple(dict(r) for r in example),
        reference=reference.with_predictions(target, scores),
    )
    model = model.with_manifest(completed)
    run.log_metrics({f"test_{k}": v for k, v in evaluation.metrics.items()})
    run.log_dict(dict(model.feature_importance), "feature_importance.json")
    run.log_dict(evaluation.as_dict(), "evaluation.json")
    drawn: list[str] = []
    if renderer is not None:
        for plot in plots_for(target.task):
            path = f"plots/{plot.value}.png"
            run.log_artifact(renderer.render(plot, evaluation), path)
            drawn.append(path)
    return Evaluated(model, evaluation, fitted.tuning, tuple(drawn))
