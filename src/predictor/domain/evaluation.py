"""What a training run learns of its model on the held-out test rows, and the plots it can carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.schema import TaskType
from predictor.domain.scores import class_probabilities


class PlotKind(StrEnum):
    """The PNG plots a training run can carry (file name: ``plots/<value>.png``)."""

    ROC_CURVE = "roc_curve"
    PRECISION_RECALL = "precision_recall"
    CONFUSION_MATRIX = "confusion_matrix"
    FEATURE_IMPORTANCE = "feature_importance"
    CALIBRATION = "calibration"
    RESIDUALS = "residuals"


_CLASSIFICATION_PLOTS = (
    PlotKind.ROC_CURVE,
    PlotKind.PRECISION_RECALL,
    PlotKind.CONFUSION_MATRIX,
    PlotKind.CALIBRATION,
    PlotKind.FEATURE_IMPORTANCE,
)
_REGRESSION_PLOTS = (PlotKind.RESIDUALS, PlotKind.FEATURE_IMPORTANCE)


def plots_for(task: TaskType) -> tuple[PlotKind, ...]:
    return _CLASSIFICATION_PLOTS if task.is_classification else _REGRESSION_PLOTS


@dataclass(frozen=True)
class EvaluationReport:
    """A model's answers on the test rows, with the metrics and what a plot needs.

    ``truth`` holds class indices (classification) or values (regression); ``scores`` are the
    model's raw scores (P(positive) for binary, rows x classes for multiclass, values).
    """

    task: TaskType
    labels: tuple[str, ...]
    truth: npt.NDArray[np.float64]
    scores: npt.NDArray[np.float64]
    metrics: Mapping[str, float]
    confusion: list[list[int]] = field(default_factory=list)
    feature_importance: Mapping[str, float] = field(default_factory=dict)

    @property
    def probabilities(self) -> npt.NDArray[np.float64]:
        """Rows x classes (classification only)."""
        return class_probabilities(self.task, self.scores)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "task": self.task.value,
            "rows": len(self.truth),
            "metrics": dict(self.metrics),
        }
        if self.task.is_classification:
            out["labels"] = list(self.labels)
            out["confusion_matrix"] = self.confusion
        return out
