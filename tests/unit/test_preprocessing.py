"""Preprocessing fitted on the training rows, stored in the manifest, applied alike at both ends."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from predictor.adapters.memory import synthetic_table
from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.errors import InvalidModel
from predictor.domain.manifest import ModelManifest
from predictor.domain.preprocessing import (
    MissingValues,
    Preprocessing,
    PreprocessingSettings,
    fit_preprocessing,
)
from predictor.domain.schema import TaskType
from predictor.services.training.preparation import prepare_data
from predictor.services.training.tabular import encode_columns, raw_rows

NAN = math.nan


def test_median_imputes_numbers_and_most_frequent_imputes_categories() -> None:
    matrix = np.array([[1, 0], [3, 2], [NAN, 2], [10, NAN]], dtype=np.float32)
    fitted = fit_preprocessing(matrix, [False, True], PreprocessingSettings(MissingValues.MEDIAN))
    assert fitted.fill == (3.0, 2.0)
    transform = fitted.compile()
    assert transform is not None
    transform(matrix)
    np.testing.assert_array_equal(matrix, [[1, 0], [3, 2], [3, 2], [10, 2]])


def test_leaving_missing_values_to_xgboost_is_the_identity() -> None:
    fitted = fit_preprocessing(np.array([[NAN, 1]], dtype=np.float32), [False, True], PreprocessingSettings())
    assert fitted.is_identity
    assert fitted.compile() is None


def test_scaling_standardises_numeric_columns_only() -> None:
    matrix = np.array([[1, 0], [3, 1], [5, 2]], dtype=np.float32)
    fitted = fit_preprocessing(matrix, [False, True], PreprocessingSettings(scaling=True))
    transform = fitted.compile()
    assert transform is not None
    transform(matrix)
    assert matrix[:, 0].mean() == pytest.approx(0.0)
    assert matrix[:, 0].std() == pytest.approx(1.0)
    np.testing.assert_array_equal(matrix[:, 1], [0, 1, 2])


def test_it_is_fitted_on_the_training_rows_only() -> None:
    table = synthetic_table(rows=300, seed=4)
    data = prepare_data(
        table, TaskType.BINARY, PreprocessingSettings(MissingValues.MEDIAN), (0.2, 0.2), seed=3
    )
    x2 = data.schema.names.index("x2")
    train_values = [table.columns["x2"][i] for i in data.train.tolist() if table.columns["x2"][i] is not None]
    assert data.schema.preprocessing.fill[x2] == pytest.approx(float(np.median(train_values)), rel=1e-6)


@pytest.mark.parametrize("settings", [PreprocessingSettings(MissingValues.MEDIAN, scaling=True),
                                      PreprocessingSettings(MissingValues.MOST_FREQUENT)])  # fmt: skip
def test_the_row_encoder_applies_what_training_applied(settings: PreprocessingSettings) -> None:
    table = synthetic_table(rows=300, seed=8)
    data = prepare_data(table, TaskType.BINARY, settings, (0.2, 0.2), seed=1)
    manifest = ModelManifest.from_json(ModelManifest(schema=data.schema, booster_file="m").to_json())
    assert manifest.preprocessing == data.schema.preprocessing
    rows = raw_rows(manifest.schema, table, data.test)
    served = RowEncoder(manifest.schema).encode(rows).matrix
    np.testing.assert_array_equal(served, data.matrix[data.test])
    np.testing.assert_array_equal(
        served, encode_columns(data.schema, {k: [r[k] for r in rows] for k in rows[0]})
    )
    assert not np.isnan(served).any()


def test_a_malformed_preprocessing_section_is_an_invalid_model() -> None:
    data = prepare_data(
        synthetic_table(), TaskType.BINARY, PreprocessingSettings(MissingValues.MEDIAN), (0.2, 0.2), 1
    )
    text = ModelManifest(schema=data.schema, booster_file="m").to_json().replace('"median"', '"mean"')
    with pytest.raises(InvalidModel, match="malformed preprocessing"):
        ModelManifest.from_json(text)
    with pytest.raises(InvalidModel, match="one value per feature"):
        replace(data.schema, preprocessing=Preprocessing(fill=(1.0,)))
