"""Evaluate a model on the held-out test rows: its metrics and confusion matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.evaluation import EvaluationReport
from predictor.domain.schema import TaskType
from predictor.domain.scores import class_probabilities
from predictor.services.training.metrics import confusion_matrix, evaluate


def evaluate_scores(
    task: TaskType,
    labels: tuple[str, ...],
    truth: npt.NDArray[np.float64],
    scores: npt.NDArray[Any],
    feature_importance: Mapping[str, float] | None = None,
) -> EvaluationReport:
    scores64 = np.asarray(scores, dtype=np.float64)
    metrics = evaluate(task, truth, scores64, len(labels))
    confusion: list[list[int]] = []
    if task.is_classification:
        predicted = np.argmax(class_probabilities(task, scores64), axis=1)
        confusion = confusion_matrix(truth.astype(np.int64), predicted, len(labels))
    return EvaluationReport(
        task=task,
        labels=labels,
        truth=truth,
        scores=scores64,
        metrics=metrics,
        confusion=confusion,
        feature_importance=dict(feature_importance or {}),
    )
