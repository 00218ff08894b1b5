"""Captured requests held in memory, by location: the ``CaptureSource`` for unit tests. Each
file is a ``CapturedRows``, the value a capture store writes as one batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from predictor.domain.capture import CapturedRows
from predictor.domain.errors import DataError
from predictor.domain.model import ModelVersion
from predictor.domain.ports import CapturedBatch, CaptureSource


@dataclass
class InMemoryCaptureSource(CaptureSource):
    """``files[location]``: the captured batches under ``location``, in order."""

    files: dict[str, list[CapturedRows]] = field(default_factory=dict)

    def batches(
        self,
        location: str,
        features: Sequence[str],
        labelled: bool,
        since: datetime | None = None,
        version: ModelVersion | None = None,
    ) -> Iterator[CapturedBatch]:
        found = self.files.get(location.rstrip("/"), [])
        if not found:
            raise DataError(f"no Parquet file under {location}")
        for k, rows in enumerate(found):
            window = np.ones(len(rows), dtype=bool)
            if since is not None:
                window = rows.timestamps >= np.datetime64(since.replace(tzinfo=None), "us")
            keep = window & _made_by(rows, version)
            others = Counter(
                f"{n or '?'}/{v or '?'}"
                for n, v, out in zip(rows.model_names, rows.model_versions, window & ~keep, strict=True)
                if out
            )
            if others:
                empty = np.empty(0, dtype=object if labelled else np.float64)
                yield CapturedBatch({f: np.empty(0) for f in features}, empty, frozenset(), dict(others))
            if keep.any():
                yield _batch(k, rows, keep, features, labelled)


def _made_by(rows: CapturedRows, version: ModelVersion | None) -> npt.NDArray[np.bool_]:
    if version is None:
        return np.ones(len(rows), dtype=bool)
    return np.array(
        [
            v == version.version and n in ("", version.name)
            for n, v in zip(rows.model_names, rows.model_versions, strict=True)
        ],
        dtype=bool,
    )


def _batch(
    k: int, rows: CapturedRows, keep: npt.NDArray[np.bool_], features: Sequence[str], labelled: bool
) -> CapturedBatch:
    absent = [name for name in features if name not in rows.features]
    if absent:
        raise DataError(f"the captured file {k} has no column {', '.join(map(repr, absent))}")
    if labelled != rows.labelled:
        raise DataError(f"the captured file {k}: 'prediction' has the wrong type")
    values = {name: rows.matrix[keep, rows.features.index(name)] for name in features}
    prediction = np.asarray(rows.predictions, dtype=object if labelled else np.float64)[keep]
    return CapturedBatch(values, prediction, frozenset(np.asarray(rows.model_versions)[keep].tolist()))
