"""Evaluation metrics on held-out rows, in numpy."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.schema import TaskType

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


def evaluate(task: TaskType, truth: Vector, scores: Vector, classes: int = 0) -> dict[str, float]:
    """The task's metrics: classification gets accuracy, ROC AUC and log loss;
    regression gets RMSE, MAE and R²."""
    if task is TaskType.REGRESSION:
        error = np.asarray(scores, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
        total = float(np.sum((truth - np.mean(truth)) ** 2))
        return {
            "rmse": float(np.sqrt(np.mean(error**2))),
            "mae": float(np.mean(np.abs(error))),
            "r2": 1.0 - float(np.sum(error**2)) / total if total > 0 else float("nan"),
        }
    index = np.asarray(truth, dtype=np.int64)
    if task is TaskType.BINARY:
        positive = np.asarray(scores, dtype=np.float64)
        probabilities = np.column_stack([1.0 - positive, positive])
        auc = roc_auc(index, positive)
    else:
        probabilities = np.asarray(scores, dtype=np.float64)
        per_class = [roc_auc((index == k).astype(np.float64), probabilities[:, k]) for k in range(classes)]
        auc = float(np.nanmean(per_class)) if any(np.isfinite(per_class)) else float("nan")
    return {
        "accuracy": float(np.mean(np.argmax(probabilities, axis=1) == index)),
        "roc_auc": auc,
        "log_loss": log_loss(index, probabilities),
    }


MAIN_METRIC = {TaskType.BINARY: "roc_auc", TaskType.MULTICLASS: "roc_auc", TaskType.REGRESSION: "rmse"}
