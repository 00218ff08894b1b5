"""The reference profile a training run stores in the manifest (domain/reference.py), the same
from both engines: the features from the training split's encoded, preprocessed rows (all of
them up to ``MAX_REFERENCE_ROWS``, else a seeded random sample of about that many), the
predictions from the model's scores of the test split."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from predictor.domain.ports import Matrix, Scores
from predictor.domain.ports.cluster import TRAIN, EncodedPart
from predictor.domain.reference import (
    ColumnReference,
    PredictionReference,
    ReferenceProfile,
    categorical_reference,
    label_reference,
    numeric_reference,
)
from predictor.domain.schema import FeatureKind, FeatureSchema, Target, TaskType
from predictor.domain.scores import class_probabilities

MAX_REFERENCE_ROWS = 100_000  # the training rows a reference profile reads at most


@dataclass(frozen=True)
class FeatureReferences:
    """The features' half of a reference profile, and how many training rows it read."""

    rows: int
    features: Mapping[str, ColumnReference]

    def with_predictions(self, target: Target, scores: Scores) -> ReferenceProfile:
        """The whole profile, with the predictions of the model's ``scores`` (of the test rows)."""
        return ReferenceProfile(self.rows, self.features, prediction_reference(target, scores), len(scores))


def feature_references(schema: FeatureSchema, matrix: Matrix) -> FeatureReferences:
    """The reference of every feature of ``schema`` from the encoded rows of ``matrix``."""
    features: dict[str, ColumnReference] = {}
    for j, feature in enumerate(schema.features):
        column = matrix[:, j]
        categorical = feature.kind is FeatureKind.CATEGORICAL
        features[feature.name] = categorical_reference(column) if categorical else numeric_reference(column)
    return FeatureReferences(len(matrix), features)


def training_sample(train: npt.NDArray[np.intp], seed: int) -> npt.NDArray[np.intp]:
    """The training rows a profile reads: all of them, or ``MAX_REFERENCE_ROWS`` drawn at random."""
    if len(train) <= MAX_REFERENCE_ROWS:
        return train
    chosen = np.random.default_rng(seed).choice(len(train), MAX_REFERENCE_ROWS, replace=False)
    return train[np.sort(chosen)]


@dataclass(frozen=True)
class SampleTraining:
    """A kept part's training rows (on its worker): each kept with probability ``fraction``, so
    that the parts together send about ``MAX_REFERENCE_ROWS`` rows."""

    fraction: float
    seed: int

    @classmethod
    def of(cls, training_rows: int, seed: int) -> SampleTraining:
        return cls(min(1.0, MAX_REFERENCE_ROWS / max(training_rows, 1)), seed)

    def __call__(self, part: EncodedPart, index: int) -> Matrix:
        rows: Matrix = part.matrix[part.split == TRAIN]
        if self.fraction < 1.0:
            rows = rows[np.random.default_rng([self.seed, index]).random(len(rows)) < self.fraction]
        return rows


def prediction_reference(target: Target, scores: Scores) -> PredictionReference:
    """A classifier's predicted labels' shares (P >= 0.5 for binary, the likeliest class else),
    or a regression model's predicted values as a numeric reference."""
    if target.task is TaskType.REGRESSION:
        return numeric_reference(np.asarray(scores, dtype=np.float64))
    return label_reference(predicted_labels(target, scores), target.labels)


def predicted_labels(target: Target, scores: Scores) -> npt.NDArray[np.object_]:
    """A classifier's labels for ``scores``, as serving names them at the default threshold."""
    labels = np.asarray(target.labels, dtype=object)
    if target.task is TaskType.BINARY:
        chosen = (np.asarray(scores, dtype=np.float64) >= 0.5).astype(np.intp)
    else:
        chosen = np.argmax(class_probabilities(target.task, scores), axis=1)
    predicted: npt.NDArray[np.object_] = labels[chosen]
    return predicted
