"""Checked table -> schema, seeded splits and the encoded, preprocessed matrix.

Everything fitted (category vocabularies, imputation values, scaling) is fitted on the
training rows only and ends up in the schema, hence in the manifest serving reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.preprocessing import PreprocessingSettings, fit_preprocessing
from predictor.domain.schema import FeatureKind, FeatureSchema, TaskType
from predictor.domain.table import Table
from predictor.services.training.tabular import (
    Indices,
    build_schema,
    encode_columns,
    encode_target,
    fit_vocabularies,
    is_missing,
    raw_rows,
    split_indices,
    without_rows,
)


@dataclass(frozen=True)
class PreparedData:
    """The rows a run trains, validates and tests on, encoded with the fitted schema."""

    table: Table
    schema: FeatureSchema
    matrix: npt.NDArray[np.float32]
    truth: npt.NDArray[np.float64]
    train: Indices
    valid: Indices
    test: Indices

    def part(self, rows: Indices) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float64]]:
        return self.matrix[rows], self.truth[rows]

    def raw_test_rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Test rows as a client would send them (what a served model is compared on)."""
        rows = self.test if limit is None else self.test[:limit]
        return raw_rows(self.schema, self.table, rows)

    def run_params(self, seed: int) -> dict[str, Any]:
        """What a training run logs about its data: the data set, seed, task and the summary."""
        return data_params(
            self.table.name, self.schema, seed, (len(self.train), len(self.valid), len(self.test))
        )

    def summary(self) -> Mapping[str, Any]:
        return data_summary(self.schema, len(self.train), len(self.valid), len(self.test))


def data_params(name: str, schema: FeatureSchema, seed: int, rows: tuple[int, int, int]) -> dict[str, Any]:
    """What a training run logs about its data: the data set, seed, task and the summary."""
    return {"dataset": name, "seed": seed, "task": schema.target.task.value, **data_summary(schema, *rows)}


def data_summary(schema: FeatureSchema, train: int, valid: int, test: int) -> dict[str, Any]:
    """The rows of each split, the features and the preprocessing."""
    prep = schema.preprocessing
    return {
        "rows_train": train,
        "rows_valid": valid,
        "rows_test": test,
        "features": len(schema.features),
        "categorical_features": sum(f.kind is FeatureKind.CATEGORICAL for f in schema.features),
        "missing_values": prep.missing.value,
        "scaling": prep.scaling,
    }


def prepare_data(
    table: Table,
    task: TaskType,
    settings: PreprocessingSettings,
    fractions: tuple[float, float],
    seed: int,
) -> PreparedData:
    """Drop rows without a target, split (stratified, seeded), then fit on the training rows."""
    keep = [not is_missing(v) for v in table.columns[table.target]]
    if not all(keep):
        table = without_rows(table, keep)
    schema = build_schema(table, task)
    truth = encode_target(schema, table.columns[table.target])
    train, valid, test = split_indices(truth, task, fractions, seed)
    schema = fit_vocabularies(schema, table, train)
    matrix = encode_columns(schema, table.columns)
    categorical = [f.kind is FeatureKind.CATEGORICAL for f in schema.features]
    schema = replace(schema, preprocessing=fit_preprocessing(matrix[train], categorical, settings))
    transform = schema.preprocessing.compile()
    if transform is not None:
        transform(matrix)
    return PreparedData(table, schema, matrix, truth, train, valid, test)
