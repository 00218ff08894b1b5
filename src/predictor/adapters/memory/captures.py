"""Captured requests held in memory, by location: the ``CaptureSource`` for unit tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from predictor.domain.errors import DataError
from predictor.domain.ports import CapturedBatch, CaptureSource


@dataclass(frozen=True, eq=False)
class CapturedFile:
    """One captured file's rows: the capture contract's columns, the timestamps aware."""

    features: dict[str, npt.NDArray[np.float64]]
    prediction: npt.NDArray[np.generic]
    timestamps: tuple[datetime, ...]
    version: str = "1"


@dataclass
class InMemoryCaptureSource(CaptureSource):
    """``files[location]``: the captured files under ``location``, in order."""

    files: dict[str, list[CapturedFile]] = field(default_factory=dict)

    def batches(
        self, location: str, features: Sequence[str], labelled: bool, since: datetime | None = None
    ) -> Iterator[CapturedBatch]:
        found = self.files.get(location.rstrip("/"), [])
        if not found:
            raise DataError(f"no Parquet file under {location}")
        for k, captured in enumerate(found):
            absent = [name for name in features if name not in captured.features]
            if absent:
                raise DataError(f"the captured file {k} has no column {', '.join(map(repr, absent))}")
            if labelled != (captured.prediction.dtype == object):
                raise DataError(f"the captured file {k}: 'prediction' has the wrong type")
            keep = np.array([since is None or t >= since for t in captured.timestamps], dtype=bool)
            if keep.any():
                values = {name: captured.features[name][keep] for name in features}
                yield CapturedBatch(values, captured.prediction[keep], frozenset({captured.version}))
