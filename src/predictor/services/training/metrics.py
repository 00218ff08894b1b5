"""Evaluation metrics on held-out rows, in numpy."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.schema import TaskType
from predictor.domain.scores import class_probabilities

Vector = npt.NDArray[np.floating[Any]]
_EPS = 1e-15


def roc_auc(truth: npt.NDArray[np.number[Any]], positive_score: Vector) -> float:
    """Area under the ROC curve (Mann-Whitney U with ties averaged); NaN with one class only."""
    truth = np.asarray(truth, dtype=np.float64)
    positives = int(truth.sum())
    negatives = len(truth) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(positive_score, kind="mergesort")
    ranks = np.empty(len(order), dtype=np.float64)
    sorted_scores = np.asarray(positive_score, dtype=np.float64)[order]
    # average ranks of tied scores
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    return float((ranks[truth == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def log_loss(truth_index: npt.NDArray[np.int64], probabilities: Vector) -> float:
    picked = probabilities[np.arange(len(truth_index)), truth_index]
    return float(-np.mean(np.log(np.clip(picked, _EPS, 1.0))))


def confusion_matrix(
    truth_index: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64], classes: int
) -> list[list[int]]:
    """Counts, true class per row, predicted class per column."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (truth_index, predicted), 1)
    return [[int(v) for v in row] for row in counts]


def precision_recall_f1(counts: list[list[int]]) -> dict[str, float]:
    """Binary: of the positive class (index 1). Multiclass: the unweighted mean over classes
    (macro), so a small class counts as much as a large one. A class never predicted (or
    never present) scores 0 for precision (or recall), as scikit-learn's zero_division=0."""
    matrix = np.asarray(counts, dtype=np.float64)
    hits = np.diag(matrix)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(hits), where=both > 0)
    if len(hits) == 2:
        return {"precision": float(precision[1]), "recall": float(recall[1]), "f1": float(f1[1])}
    return {"precision": float(precision.mean()), "recall": float(recall.mean()), "f1": float(f1.mean())}


def evaluate(task: TaskType, truth: Vector, scores: Vector, classes: int = 0) -> dict[str, float]:
    """The task's metrics: classification gets accuracy, ROC AUC (one-vs-rest, averaged over
    classes for multiclass), log loss, precision, recall and F1; regression gets RMSE, MAE and R²."""
    if task is TaskType.REGRESSION:
        error = np.asarray(scores, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
        total = float(np.sum((truth - np.mean(truth)) ** 2))
        return {
            "rmse": float(np.sqrt(np.mean(error**2))),
            "mae": float(np.mean(np.abs(error))),
            "r2": 1.0 - float(np.sum(error**2)) / total if total > 0 else float("nan"),
        }
    index = np.asarray(truth, dtype=np.int64)
    probabilities = class_probabilities(task, scores)
    classes = probabilities.shape[1]
    if task is TaskType.BINARY:
        auc = roc_auc(index, probabilities[:, 1])
    else:
        per_class = [roc_auc((index == k).astype(np.float64), probabilities[:, k]) for k in range(classes)]
        auc = float(np.nanmean(per_class)) if any(np.isfinite(per_class)) else float("nan")
    predicted = np.argmax(probabilities, axis=1)
    return {
        "accuracy": float(np.mean(predicted == index)),
        "roc_auc": auc,
        "log_loss": log_loss(index, probabilities),
        **precision_recall_f1(confusion_matrix(index, predicted, classes)),
    }


MAIN_METRIC = {TaskType.BINARY: "roc_auc", TaskType.MULTICLASS: "roc_auc", TaskType.REGRESSION: "rmse"}
LOWER_IS_BETTER = frozenset({"rmse", "mae", "log_loss"})


def is_better(metric: str, candidate: float, incumbent: float) -> bool:
    """Strictly better on ``metric`` (a tie keeps the incumbent)."""
    return candidate < incumbent if metric in LOWER_IS_BETTER else candidate > incumbent
