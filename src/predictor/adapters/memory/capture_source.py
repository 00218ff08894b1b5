"""Captured requests held in memory, by location: the ``CaptureSource`` for unit tests. Each
file is a ``CapturedRows``, the value a capture store writes as one batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from predictor.domain.capture import CapturedRows
from predictor.domain.errors import DataError
from predictor.domain.ports import CapturedBatch, CaptureSource


@dataclass
class InMemoryCaptureSource(CaptureSource):
    """``files[location]``: the captured batches under ``location``, in order."""

    files: dict[str, list[CapturedRows]] = field(default_factory=dict)

    def batches(
        self, location: str, features: Sequence[str], labelled: bool, since: datetime | None = None
    ) -> Iterator[CapturedBatch]:
        found = self.files.get(location.rstrip("/"), [])
        if not found:
            raise DataError(f"no Parquet file under {location}")
        for k, rows in enumerate(found):
            absent = [name for name in features if name not in rows.features]
            if absent:
                raise DataError(f"the captured file {k} has no column {', '.join(map(repr, absent))}")
            if labelled != rows.labelled:
                raise DataError(f"the captured file {k}: 'prediction' has the wrong type")
            keep = np.ones(len(rows), dtype=bool)
            if since is not None:
                keep = rows.timestamps >= np.datetime64(since.replace(tzinfo=None), "us")
            if keep.any():
                values = {name: rows.matrix[keep, rows.features.index(name)] for name in features}
                prediction = np.asarray(rows.predictions, dtype=object if labelled else np.float64)[keep]
                yield CapturedBatch(
                    values, prediction, frozenset(np.asarray(rows.model_versions)[keep].tolist())
                )
