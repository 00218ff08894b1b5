"""Captured requests written as the capture contract says (docs/drift.md), for the drift tests
until the capture code writes them: one float64 column per feature (as encoded), `prediction`,
`model_name`, `model_version`, `request_id` and `timestamp` (timestamp[us, tz=UTC])."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

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
    matrix = RowEncoder(manifest.schema).encode([dict(r) for r in rows]).matrix
    scores = model.predict(matrix)
    target = manifest.schema.target
    if target.task.is_classification:
        prediction = pa.array(predicted_labels(target, scores).tolist(), type=pa.string())
    else:
        prediction = pa.array(np.asarray(scores, dtype=np.float64), type=pa.float64())
    count = len(rows)
    columns: dict[str, pa.Array] = {
        feature: pa.array(matrix[:, j].astype(np.float64), type=pa.float64())
        for j, feature in enumerate(manifest.schema.names)
    }
    columns |= {
        "prediction": prediction,
        "model_name": pa.array([name] * count, type=pa.string()),
        "model_version": pa.array([version] * count, type=pa.string()),
        "request_id": pa.array([f"req-{k}" for k in range(count)], type=pa.string()),
        "timestamp": pa.array([stamp or datetime.now(UTC)] * count, type=pa.timestamp("us", tz="UTC")),
    }
    return pa.table(columns)


def write_capture(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path
