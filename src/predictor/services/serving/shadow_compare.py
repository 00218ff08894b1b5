"""One request's rows compared between a shadow and the champion (``shadow_summary`` keeps the
figures). For classifiers a row agrees when both models give it the same label (at the
request's threshold); its difference is the largest absolute difference between the two models'
probabilities over the classes. For regressors there is no label: a row's difference is the
absolute difference between the two values.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from predictor.domain.ports import Scores
from predictor.domain.schema import Target, TaskType
from predictor.domain.scores import class_probabilities


@dataclass(frozen=True, slots=True)
class Comparison:
    """One request's rows compared: how many, how many agreed (None: a regressor), the sum and
    the largest of their absolute differences."""

    rows: int
    agreed: int | None
    difference_sum: float
    max_difference: float


def compare(champion: Scores, shadow: Scores, target: Target, threshold: float) -> Comparison:
    """The shadow's scores against the champion's, for the same rows; ``ValueError`` when their
    shapes differ or the shadow's are not finite."""
    return compare_each(champion, shadow, [len(champion)], target, threshold)[0]


def compare_each(
    champion: Scores, shadow: Scores, sizes: Sequence[int], target: Target, threshold: float
) -> list[Comparison]:
    """``compare`` for consecutive requests of ``sizes`` rows, stacked, in one pass."""
    if np.shape(champion) != np.shape(shadow) or sum(sizes) != len(champion):
        raise ValueError(f"the shadow gave scores of shape {np.shape(shadow)}, not {np.shape(champion)}")
    if target.task is TaskType.REGRESSION:
        differences = np.abs(np.asarray(shadow, np.float64) - np.asarray(champion, np.float64))
        agree = None
    else:
        probabilities = class_probabilities(target.task, shadow) - class_probabilities(target.task, champion)
        differences = np.abs(probabilities).max(axis=1)
        agree = _labels(champion, target, threshold) == _labels(shadow, target, threshold)
    if not np.isfinite(differences).all():
        raise ValueError("the shadow gave scores that are not finite")
    if not all(sizes):  # reduceat cannot take a request without rows: each on its own
        return _each(differences, agree, sizes)
    starts = np.cumsum([0, *sizes[:-1]])
    sums = np.add.reduceat(differences, starts).tolist()
    tops = np.maximum.reduceat(differences, starts).tolist()
    agreed = None if agree is None else np.add.reduceat(agree.astype(np.intp), starts).tolist()
    return [
        Comparison(n, None if agreed is None else int(agreed[i]), float(sums[i]), float(tops[i]))
        for i, n in enumerate(sizes)
    ]


def _each(
    differences: npt.NDArray[np.float64], agree: npt.NDArray[np.bool_] | None, sizes: Sequence[int]
) -> list[Comparison]:
    bounds = np.cumsum([0, *sizes])
    return [
        _one(differences[a:b], None if agree is None else agree[a:b]) for a, b in itertools.pairwise(bounds)
    ]


def _one(differences: npt.NDArray[np.float64], agree: npt.NDArray[np.bool_] | None) -> Comparison:
    top = float(differences.max()) if len(differences) else 0.0
    agreed = None if agree is None else int(np.count_nonzero(agree))
    return Comparison(len(differences), agreed, float(differences.sum()), top)


def _labels(scores: Scores, target: Target, threshold: float) -> npt.NDArray[np.intp]:
    """Each row's label as its index: as ``predicted_labels`` labels rows, without the strings."""
    if target.task is TaskType.BINARY:
        return (np.asarray(scores, np.float64) >= threshold).astype(np.intp)
    indexes: npt.NDArray[np.intp] = np.argmax(scores, axis=1)
    return indexes
