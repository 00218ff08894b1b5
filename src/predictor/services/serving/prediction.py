"""Use case: predict with the model being served now."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import numpy as np
import numpy.typing as npt

from predictor.domain.encoding.inputs import Columns, FeatureMatrix, ModelInput, NamedRows, Records
from predictor.domain.encoding.leniency import Leniency
from predictor.domain.encoding.rows import EncodedRows
from predictor.domain.errors import PayloadTooLarge
from predictor.domain.model import Prediction
from predictor.domain.options import DEFAULT_THRESHOLD, Output, PredictionOptions
from predictor.domain.ports import Counted, EventCounter, Matrix, Scores
from predictor.domain.schema import Target, TaskType
from predictor.domain.scores import class_probabilities
from predictor.services.serving.loading import ModelSlot, ServedModel
from predictor.services.serving.offload import EncodedBatch

log = logging.getLogger(__name__)

# The shapes of rows taken as they are; anything else is read as rows by feature name (Records).
MODEL_INPUTS = (Records, NamedRows, Columns, FeatureMatrix, EncodedBatch)


def predicted_labels(scores: Scores, target: Target, threshold: float = DEFAULT_THRESHOLD) -> list[str]:
    """The label per row: P(positive) >= threshold for binary, the most probable class otherwise."""
    if target.task is TaskType.BINARY:
        negative, positive = target.labels
        return [positive if p >= threshold else negative for p in scores.astype(np.float64).tolist()]
    return [target.labels[k] for k in np.argmax(scores, axis=1).tolist()]


def to_predictions(
    scores: Scores,
    task: TaskType,
    labels: tuple[str, ...],
    output: Output = Output.BOTH,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Prediction]:
    """Turn a model's raw scores into per-row labels and/or probabilities, or values."""
    if task is TaskType.REGRESSION:
        return [Prediction(value=float(v)) for v in scores.tolist()]
    target = Target("", task, labels)
    names = predicted_labels(scores, target, threshold) if output is not Output.PROBABILITIES else None
    if output is Output.LABEL:
        return [Prediction(label=name) for name in names or ()]
    rows = class_probabilities(task, scores).tolist()
    if names is None:
        return [Prediction(probabilities=dict(zip(labels, row, strict=True))) for row in rows]
    return [
        Prediction(label=name, probabilities=dict(zip(labels, row, strict=True)))
        for name, row in zip(names, rows, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class PredictionResult:
    """The model's scores for a batch (see ``ServableModel.predict``), the model that made them
    and the options they answer to (``threshold`` resolved)."""

    scores: Scores
    model: ServedModel
    options: PredictionOptions = field(default_factory=PredictionOptions)
    unseen_categories: int = 0
    # How the rows' values were read more leniently than JSON's reading (``EncodedRows``).
    leniencies: frozenset[Leniency] = frozenset()
    # The rows as encoded for the model (what it scored), for request capture and a shadow.
    matrix: Matrix | None = None

    @property
    def target(self) -> Target:
        return self.model.model.manifest.schema.target

    @property
    def threshold(self) -> float:
        return self.options.threshold if self.options.threshold is not None else DEFAULT_THRESHOLD

    @property
    def predictions(self) -> list[Prediction]:
        target = self.target
        output = self.options.output or Output.BOTH
        return to_predictions(self.scores, target.task, target.labels, output, self.threshold)

    def labels(self) -> list[str]:
        return predicted_labels(self.scores, self.target, self.threshold)

    def probabilities(self) -> npt.NDArray[np.float64]:
        return class_probabilities(self.target.task, self.scores)


def encode_for(served: ServedModel, batch: ModelInput, max_rows: int) -> EncodedRows:
    """Check the batch's size against ``max_rows`` and encode it for the served model."""
    size = batch.size
    if size is not None and size > max_rows:
        raise PayloadTooLarge(
            f"the batch has {size} rows; the limit is {max_rows}", limit=max_rows, actual=size
        )
    encoded = batch.encode(served.encoder)
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
    return encoded


class MakePrediction:
    """Validate rows against the served model's schema and predict them.

    Small batches are encoded on the event loop and scored through the served model's
    ``BatchedModel`` (one call shared with the other requests of this turn); big ones are
    encoded and scored on a worker thread. The rows predicted are counted on ``counter``.
    """

    def __init__(
        self,
        slot: ModelSlot,
        max_rows: int,
        threshold: float = DEFAULT_THRESHOLD,
        counter: EventCounter | None = None,
    ) -> None:
        self._slot = slot
        self._max_rows = max_rows
        self._threshold = threshold
        self._counter = counter

    async def __call__(
        self,
        rows: Any,
        options: PredictionOptions | None = None,
        where: str = "parameters",
        served: ServedModel | None = None,
    ) -> PredictionResult:
        """``rows``: a ``ModelInput``, or rows as objects by feature name (``Records``); an
        ``EncodedBatch`` is predicted by the model it was encoded for. ``served``: the model to
        predict with (a model served by name); by default the slot's.
        Raises ``InvalidInput`` (options under ``where`` included), ``PayloadTooLarge``,
        ``ModelUnavailable``."""
        # Rows a decoder process encoded are predicted by the model they were encoded for.
        if isinstance(rows, EncodedBatch):
            served = rows.served
        elif served is None:
            served = self._slot.current()
        options = options or PredictionOptions()
        options.check(served.model.manifest.schema.target.task, where)
        batch = rows if isinstance(rows, MODEL_INPUTS) else Records(rows)
        if served.batched.is_big(batch.size):
            # One hop to a worker thread for both: a big batch is scored alone anyway.
            encoded, scores = await anyio.to_thread.run_sync(self._encode_and_score, served, batch)
        else:
            encoded = encode_for(served, batch, self._max_rows)
            scores = await served.batched.scores(encoded.matrix)
        if options.threshold is None:
            options = PredictionOptions(options.output, self._threshold)
        if self._counter is not None:
            version = served.version
            rows_predicted = float(len(encoded.matrix))
            self._counter.count(
                Counted.ROWS_PREDICTED, rows_predicted, model=version.name, version=version.version
            )
        return PredictionResult(
            scores, served, options, encoded.unseen_categories, encoded.leniencies, encoded.matrix
        )

    def _encode_and_score(self, served: ServedModel, batch: ModelInput) -> tuple[EncodedRows, Scores]:
        encoded = encode_for(served, batch, self._max_rows)
        return encoded, served.model.predict(encoded.matrix)
