"""What ``predictor drift`` needs: the rows capture wrote, and a model version's manifest."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelVersion


@dataclass(frozen=True, eq=False)
class CapturedBatch:
    """Some captured rows: each feature's encoded values (NaN: missing), the predictions (labels
    as strings, or values), the model versions that made them, and how many rows of other
    versions were left out (by ``name/version``)."""

    features: Mapping[str, npt.NDArray[np.float64]]
    prediction: npt.NDArray[Any]
    versions: frozenset[str]
    left_out: Mapping[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.prediction)


class CaptureSource(Protocol):
    """Captured requests as a ``CaptureStore`` writes them (domain/capture.py): Parquet files
    anywhere under a local directory or an ``s3://`` prefix, one ``float64`` column per feature
    (the value as encoded for the booster), ``prediction`` (``string`` for classifiers,
    ``float64`` for regressors), ``model_name``, ``model_version``, ``request_id`` and
    ``timestamp`` (``timestamp[us, tz=UTC]``)."""

    def batches(
        self,
        location: str,
        features: Sequence[str],
        labelled: bool,
        since: datetime | None = None,
        version: ModelVersion | None = None,
    ) -> Iterator[CapturedBatch]:
        """The rows under ``location`` with ``timestamp >= since`` (all without ``since``) made
        by ``version`` (its number, and its name where a row names one; every row without
        ``version``), in batches of a bounded size; the rows of other versions are only counted
        (``left_out``, a batch may hold no row). Files of other versions only, or written before
        ``since``, are not checked. ``labelled``: the predictions are labels (strings). Raises
        ``DataError`` naming the file when there is no Parquet file, a file lacks a feature or
        a capture column, a column has another type, or a file cannot be read;
        ``ConfigurationError`` and ``ModelUnavailable`` as the table files do for S3."""
        ...


class ManifestSource(Protocol):
    """Model manifests without their boosters."""

    def manifest(self, version: ModelVersion) -> ModelManifest:
        """The manifest of ``version`` (from the catalog it was resolved in). Raises
        ``InvalidModel`` when it has none, ``ModelUnavailable`` when it cannot be fetched."""
        ...
