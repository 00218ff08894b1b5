"""Use case: predict with the model being served now."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from predictor.domain.errors import PayloadTooLarge
from predictor.domain.lifecycle import ModelSlot, ServedModel
from predictor.domain.model import Prediction
from predictor.domain.ports import Scores
from predictor.domain.schema import TaskType

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PredictionResult:
    predictions: list[Prediction]
    model: ServedModel
    unseen_categories: int = 0


def to_predictions(scores: Scores, task: TaskType, labels: tuple[str, ...]) -> list[Prediction]:
    """Turn a model's raw scores into per-row labels and probabilities, or values."""
    if task is TaskType.REGRESSION:
        return [Prediction(value=float(v)) for v in scores.tolist()]
    if task is TaskType.BINARY:
        negative, positive = labels
        return [
            Prediction(
                label=positive if p >= 0.5 else negative,
                probabilities={negative: 1.0 - p, positive: p},
            )
            for p in scores.astype(np.float64).tolist()
        ]
    winners = np.argmax(scores, axis=1).tolist()
    return [
        Prediction(label=labels[k], probabilities=dict(zip(labels, row, strict=True)))
        for k, row in zip(winners, scores.astype(np.float64).tolist(), strict=True)
    ]


class MakePrediction:
    """Validate rows against the served model's schema and predict them."""

    def __init__(self, slot: ModelSlot, max_rows: int) -> None:
        self._slot = slot
        self._max_rows = max_rows

    def __call__(self, rows: object) -> PredictionResult:
        served = self._slot.current()
        if isinstance(rows, list) and len(rows) > self._max_rows:
            raise PayloadTooLarge(
                f"the batch has {len(rows)} rows; the limit is {self._max_rows}",
                limit=self._max_rows,
                actual=len(rows),
            )
        encoded = served.encoder.encode(rows)
        if encoded.unseen_categories:
            log.info(
                "categories never seen in training were treated as missing",
                extra={
                    "model": served.version.name,
                    "version": served.version.version,
                    "unseen_categories": encoded.unseen_categories,
                    "features": list(encoded.unseen_features),
                },
            )
        scores = served.model.predict(encoded.matrix)
        target = served.model.manifest.schema.target
        return PredictionResult(
            predictions=to_predictions(scores, target.task, target.labels),
            model=served,
            unseen_categories=encoded.unseen_categories,
        )
