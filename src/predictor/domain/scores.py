"""A model's raw scores, read as every class's probability."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from predictor.domain.schema import TaskType


def class_probabilities(task: TaskType, scores: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Rows x classes, in label order, as a new array; a binary model's P(positive) becomes [1 - p, p]."""
    if task is TaskType.BINARY:
        positive = np.asarray(scores, dtype=np.float64)
        return np.column_stack([1.0 - positive, positive])
    return np.array(scores, dtype=np.float64)
