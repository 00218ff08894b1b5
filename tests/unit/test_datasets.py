"""LocalDatasetSource: the bundled scikit-learn data sets, as tables the domain can train on."""

from __future__ import annotations

import math

import pytest

from predictor.adapters.sklearn.datasets import TARGET_COLUMN, LocalDatasetSource
from predictor.domain.errors import DataError
from predictor.domain.schema import FeatureKind, TaskType
from predictor.services.training.pipeline import build_schema


def test_breast_cancer_is_binary_with_class_names_in_the_data_sets_order() -> None:
    table = LocalDatasetSource().load("breast-cancer")
    assert (table.name, table.rows, len(table.feature_names)) == ("breast-cancer", 569, 30)
    assert table.target == TARGET_COLUMN
    assert "mean radius" in table.feature_names
    assert table.class_order == ("malignant", "benign")
    assert set(table.columns[TARGET_COLUMN]) == {"malignant", "benign"}

    schema = build_schema(table, task=None)
    assert schema.target.task is TaskType.BINARY
    assert schema.target.labels == ("malignant", "benign")
    assert all(f.kind is FeatureKind.NUMERIC for f in schema.features)


def test_wine_is_multiclass() -> None:
    table = LocalDatasetSource().load("wine")
    assert table.class_order == ("class_0", "class_1", "class_2")
    assert build_schema(table, task=None).target.task is TaskType.MULTICLASS


def test_diabetes_is_regression_on_floats() -> None:
    table = LocalDatasetSource().load("diabetes")
    assert table.class_order == ()
    assert all(isinstance(v, float) for v in table.columns[TARGET_COLUMN])
    assert build_schema(table, task=None).target.task is TaskType.REGRESSION


@pytest.mark.parametrize("name", ["breast-cancer", "wine", "diabetes"])
def test_features_are_finite_floats(name: str) -> None:
    table = LocalDatasetSource().load(name)
    for feature in table.feature_names:
        assert all(isinstance(v, float) and math.isfinite(v) for v in table.columns[feature])


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(DataError, match=r"'iris'.*breast-cancer, diabetes, wine"):
        LocalDatasetSource().load("iris")
