"""Use case: predict every row of a table file, chunk by chunk, in file order, writing each
chunk's predictions before reading the next, so memory stays flat however large the file."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from predictor.domain.encoding.inputs import Columns
from predictor.domain.errors import FieldError, InvalidInput
from predictor.domain.options import DEFAULT_THRESHOLD, Output, PredictionOptions
from predictor.domain.ports import PredictionColumns, TableFiles
from predictor.domain.schema import Target, TaskType
from predictor.domain.scores import class_probabilities
from predictor.services.serving.loading import ServedModel
from predictor.services.serving.prediction import predicted_labels

log = logging.getLogger(__name__)

# Called after each chunk with (rows written so far, fraction of the file read or None).
ProgressCallback = Callable[[int, float | None], None]


@dataclass(frozen=True)
class BatchSummary:
    rows: int
    chunks: int
    unseen_categories: int


def prediction_columns(scores: np.ndarray, target: Target, options: PredictionOptions) -> PredictionColumns:
    """``label`` and/or ``probability_<class>`` per class (classifiers), ``value`` (regression)."""
    if target.task is TaskType.REGRESSION:
        return {"value": scores.astype(np.float64)}
    output = options.output or Output.BOTH
    threshold = options.threshold if options.threshold is not None else DEFAULT_THRESHOLD
    columns: dict[str, Sequence[str] | np.ndarray] = {}
    if output is not Output.PROBABILITIES:
        columns["label"] = predicted_labels(scores, target, threshold)
    if output is not Output.LABEL:
        probabilities = class_probabilities(target.task, scores)
        for k, label in enumerate(target.labels):
            columns[f"probability_{label}"] = probabilities[:, k]
    return columns


def output_names(target: Target, options: PredictionOptions) -> list[str]:
    """The columns ``prediction_columns`` writes for ``target`` under ``options``."""
    if target.task is TaskType.REGRESSION:
        return ["value"]
    output = options.output or Output.BOTH
    names = ["label"] if output is not Output.PROBABILITIES else []
    if output is not Output.LABEL:
        names += [f"probability_{label}" for label in target.labels]
    return names


def _shifted(error: InvalidInput, offset: int, source: str) -> InvalidInput:
    """The chunk's errors with row numbers in the file (counted from 1, the header excluded)."""
    errors = [replace(e, row=None if e.row is None else e.row + offset) for e in error.errors]
    first = errors[0]
    where = f"row {first.row + 1}, " if first.row is not None else ""
    field = f"field {first.field!r}: " if first.field is not None else ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return InvalidInput(errors, summary=f"{source}: {where}{field}{first.message}{more}")


class PredictTable:
    """Predict the rows of a CSV or Parquet file with a loaded model, into a Parquet file."""

    def __init__(self, files: TableFiles, threshold: float = DEFAULT_THRESHOLD) -> None:
        self._files = files
        self._threshold = threshold

    def __call__(
        self,
        served: ServedModel,
        source: str | Path,
        destination: str | Path,
        options: PredictionOptions | None = None,
        chunk_rows: int = 50_000,
        keep: Sequence[str] = (),
        on_progress: ProgressCallback | None = None,
    ) -> BatchSummary:
        """Raises ``InvalidInput`` (rows counted from 1 after the header) or ``DataError`` for a
        file that cannot be read; the destination is only written when every row predicted.
        ``source`` and ``destination`` are local paths or URIs (``s3://bucket/key``)."""
        name = os.fspath(source).rsplit("/", 1)[-1]
        target = served.model.manifest.schema.target
        options = self.checked_options(target, options, keep)
        chunks = self._files.read(source, served.encoder.schema, keep, chunk_rows)
        rows = count = unseen = 0
        with self._files.write(destination) as sink:
            for chunk in chunks:
                try:
                    encoded = Columns(chunk.columns, chunk.fmt).encode(served.encoder)
                except InvalidInput as error:
                    raise _shifted(error, rows, name) from None
                scores = served.model.predict(encoded.matrix)
                sink.write(prediction_columns(scores, target, options), chunk.kept)
                rows += len(encoded.matrix)
                count += 1
                unseen += encoded.unseen_categories
                if on_progress is not None:
                    on_progress(rows, chunk.done)
            if rows == 0:
                raise InvalidInput([FieldError(None, None, f"{name} has no data rows")])
        log.info(
            "batch predicted",
            extra={"source": str(source), "rows": rows, "chunks": count, "unseen_categories": unseen},
        )
        return BatchSummary(rows, count, unseen)

    def checked_options(
        self, target: Target, options: PredictionOptions | None, keep: Sequence[str]
    ) -> PredictionOptions:
        """``options`` checked for the task, with the default threshold when it has none; no
        kept column may be named as a prediction column."""
        options = options or PredictionOptions()
        options.check(target.task, "options")
        if options.threshold is None:
            options = PredictionOptions(options.output, self._threshold)
        outputs = output_names(target, options)
        clashes = [name for name in keep if name in outputs]
        if clashes:
            raise InvalidInput(
                [FieldError(None, name, "is also a prediction column; it cannot be kept") for name in clashes]
            )
        return options
