"""Captured requests for the drift tests, in the capture's own file format: rows encoded by the
model's encoder, with its predictions, made into a table by the Parquet capture store's
``captured_table`` (so the columns and types are the store's), with the time and the path the
test chooses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from predictor.adapters.files.capture import captured_table
from predictor.domain.capture import CapturedRows
from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import ServableModel
from predictor.services.training.reference import predicted_labels


def capture_table(
    manifest: ModelManifest,
    model: ServableModel,
    rows: Sequence[Mapping[str, Any]],
    name: str = "demo",
    version: str = "1",
    stamp: datetime | None = None,
) -> pa.Table:
    """``rows`` (as a client sends them) encoded by the model's own encoder, with its predictions."""
    matrix = RowEncoder(manifest.schema).encode([dict(r) for r in rows]).matrix.astype(np.float64)
    scores = model.predict(matrix.astype(np.float32))
    target = manifest.schema.target
    predictions: tuple[str, ...] | np.ndarray[Any, np.dtype[np.float64]] = (
        tuple(predicted_labels(target, scores).tolist())
        if target.task.is_classification
        else np.asarray(scores, dtype=np.float64)
    )
    count = len(rows)
    moment = np.datetime64((stamp or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None), "us")
    captured = CapturedRows(
        manifest.schema.names, matrix, predictions, (name,) * count, (version,) * count,
        tuple(f"req-{k}" for k in range(count)), np.full(count, moment),
    )  # fmt: skip
    return captured_table(captured)


def write_capture(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path
