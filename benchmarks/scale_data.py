"""The scale benchmark's data: a generated binary-classification table, seeded, no downloads.

40 numeric features (``x00`` … ``x39``, standard normal, float64) and 4 categorical ones (``c0`` …
``c3``, strings, 5 to 200 levels); the target ``y`` (0 or 1) is a logistic draw from a known
function of some of them: a linear term in ``x00`` … ``x09``, an interaction ``x00 * x01``, a
step in ``x02``, and one effect per level of ``c0`` and ``c1``. The other features are noise.

Each part is generated from its own seed (``[seed, part]``), so a size's rows do not depend on
the part size of a run and a part can be made without the ones before it. The same rows are
written twice: as parts (``parts/rows-00000.parquet``, …) for the Dask engine, and as one Parquet
file (``all.parquet``, one row group per part) for the single-process engine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

NUMERIC = 40
LEVELS = (5, 12, 50, 200)  # the categorical features' numbers of levels
TARGET = "y"
# Dictionary pages for the strings only: random floats do not repeat, and trying costs time.
CATEGORICAL = [f"c{index}" for index in range(len(LEVELS))]


@dataclass(frozen=True)
class Generated:
    """Where one size's rows are: the parts' directory and the single file."""

    rows: int
    parts: Path
    single: Path
    part_count: int

    @property
    def glob(self) -> str:
        return str(self.parts / "*.parquet")


def _vocabulary(levels: int, index: int) -> pa.Array:
    return pa.array([f"c{index}_level_{level:03d}" for level in range(levels)])


def _effects() -> tuple[np.ndarray, list[np.ndarray]]:
    """The known coefficients: fixed by their own seed, the same for every size and part."""
    rng = np.random.default_rng(20261203)
    weights = rng.normal(0.0, 1.0, 10)
    levels = [rng.normal(0.0, 0.8, LEVELS[0]), rng.normal(0.0, 0.5, LEVELS[1])]
    return weights, levels


def part_table(rows: int, seed: int, part: int) -> pa.Table:
    """One part's rows, vectorised: a few hundred thousand rows take well under a second."""
    rng = np.random.default_rng([seed, part])
    numeric = rng.standard_normal((NUMERIC, rows))  # one contiguous row per column
    codes = [rng.integers(0, levels, rows) for levels in LEVELS]
    weights, level_effects = _effects()
    logit = (
        weights @ numeric[:10]
        + 0.8 * numeric[0] * numeric[1]
        + 1.5 * (numeric[2] > 0.5)
        + level_effects[0][codes[0]]
        + level_effects[1][codes[1]]
        - 0.5
    )
    noise = rng.logistic(0.0, 1.0, rows)
    target = (logit + noise > 0).astype(np.int64)
    columns: dict[str, pa.Array] = {f"x{i:02d}": pa.array(numeric[i]) for i in range(NUMERIC)}
    for index, (levels, code) in enumerate(zip(LEVELS, codes, strict=True)):
        columns[CATEGORICAL[index]] = _vocabulary(levels, index).take(pa.array(code))
    columns[TARGET] = pa.array(target)
    return pa.table(columns)


def generate(root: Path, rows: int, part_rows: int, seed: int) -> Generated:
    """Write ``rows`` rows under ``root`` (or reuse what an earlier run with the same parameters
    wrote there: ``params.json`` names them)."""
    part_count = -(-rows // part_rows)
    out = Generated(rows, root / "parts", root / "all.parquet", part_count)
    params = {"rows": rows, "part_rows": part_rows, "seed": seed, "numeric": NUMERIC, "levels": list(LEVELS)}
    marker = root / "params.json"
    if marker.exists() and json.loads(marker.read_text()) == params and out.single.exists():
        return out
    out.parts.mkdir(parents=True, exist_ok=True)
    for stale in out.parts.glob("*.parquet"):
        stale.unlink()
    writer: pq.ParquetWriter | None = None
    for part in range(part_count):
        table = part_table(min(part_rows, rows - part * part_rows), seed, part)
        pq.write_table(table, out.parts / f"rows-{part:05d}.parquet", use_dictionary=CATEGORICAL)
        writer = writer or pq.ParquetWriter(out.single, table.schema, use_dictionary=CATEGORICAL)
        writer.write_table(table)
    if writer is not None:
        writer.close()
    marker.write_text(json.dumps(params))
    return out
