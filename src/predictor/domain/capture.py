"""Captured rows: what a served model was asked and answered, as a capture store keeps it.

The file contract (docs/capture.md): under ``<capture root>/<served model name>/``, one Parquet
file per batch with one ``float64`` column per feature (the value as encoded for the booster:
after the model's fitted preprocessing, a category as its code, NaN for missing), then
``prediction`` (the label for a classifier, the value for a regressor), ``model_name``,
``model_version``, ``request_id`` and ``timestamp`` (microseconds, UTC). Never keys, headers or
the raw body: only what is here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

PREDICTION = "prediction"
MODEL_NAME = "model_name"
MODEL_VERSION = "model_version"
REQUEST_ID = "request_id"
TIMESTAMP = "timestamp"
# The columns after the features, in file order.
ANSWER_COLUMNS = (PREDICTION, MODEL_NAME, MODEL_VERSION, REQUEST_ID, TIMESTAMP)
# A batch's file name: the UTC time it was written, and 8 random hex digits.
BATCH_FILE = re.compile(r"(?P<written>\d{8}T\d{6})-[0-9a-f]{8}\.parquet")


def batch_file_name(written: datetime) -> str:
    """``<UTC yyyymmddTHHMMSS>-<8 hex>.parquet`` for a batch written at ``written``."""
    return f"{written.astimezone(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.parquet"


def clashing_features(features: tuple[str, ...]) -> tuple[str, ...]:
    """The features named like an answer column: a model with one cannot be captured."""
    return tuple(sorted(set(features) & set(ANSWER_COLUMNS)))


@dataclass(frozen=True, slots=True)
class CapturedRows:
    """Rows of one served model's answers, one entry per row in every field.

    ``matrix`` is rows x ``features``; ``predictions`` holds labels (a classifier's) or values
    (a regressor's); ``timestamps`` are ``datetime64[us]`` in UTC, when each request was answered.
    """

    features: tuple[str, ...]
    matrix: npt.NDArray[np.float64]
    predictions: tuple[str, ...] | npt.NDArray[np.float64]
    model_names: tuple[str, ...]
    model_versions: tuple[str, ...]
    request_ids: tuple[str, ...]
    timestamps: npt.NDArray[np.datetime64]

    def __post_init__(self) -> None:
        rows = len(self.matrix)
        sizes = {len(self.predictions), len(self.model_names), len(self.model_versions)}
        sizes |= {len(self.request_ids), len(self.timestamps)}
        if sizes != {rows} or self.matrix.shape[1:] != (len(self.features),):
            raise ValueError("captured rows need one entry per row in every column")
        clashing = clashing_features(self.features)
        if clashing:
            raise ValueError(f"features named like an answer column: {list(clashing)}")

    def __len__(self) -> int:
        return len(self.matrix)

    @property
    def labelled(self) -> bool:
        """Whether the predictions are labels (a classifier's) rather than values."""
        return isinstance(self.predictions, tuple)
