"""Rows read leniently (``predictor.domain.encoding.lenient``), as ``mlflow models serve`` reads
them: a body the strict reading accepts gives the same matrix and relies on no leniency; each
leniency gives the matrix of the rows it means and names itself."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictor.domain.encoding.leniency import Leniency
from predictor.domain.encoding.lenient import csv_booleans, lenient_columns, lenient_records, lenient_table
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import InputDoesNotFitSchema, InvalidInput
from tests.unit.test_encoding import ENCODER, SCHEMA

NAMES = ["age", "income", "colour"]  # SCHEMA's features, in order

numbers = st.one_of(
    st.none(), st.integers(-(10**6), 10**6), st.floats(-1e30, 1e30, allow_nan=False, allow_infinity=False)
)
categories = st.one_of(st.none(), st.sampled_from(["blue", "green", "red", "never seen"]))
strict_rows = st.lists(
    st.fixed_dictionaries({"age": numbers, "income": numbers, "colour": categories}), min_size=1
)


def matrix(batch: Any) -> np.ndarray:
    return np.asarray(batch.encode(ENCODER).matrix)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


@given(strict_rows)
def test_what_the_strict_reading_accepts_reads_the_same_and_relies_on_nothing(
    rows: list[dict[str, Any]],
) -> None:
    expected = ENCODER.encode(rows).matrix
    records, found = lenient_records(rows, SCHEMA)
    table, from_table = lenient_table(NAMES, [[r[n] for n in NAMES] for r in rows], SCHEMA)
    assert (found, from_table) == (set(), set())
    for batch in (records, table):
        encoded = batch.encode(ENCODER)
        assert same(encoded.matrix, expected)
        assert encoded.leniencies == frozenset()


@given(strict_rows, st.data())
def test_nan_reads_as_null(rows: list[dict[str, Any]], data: st.DataObject) -> None:
    row = data.draw(st.integers(0, len(rows) - 1))
    field = data.draw(st.sampled_from(NAMES))
    with_null = [dict(r) for r in rows]
    with_null[row][field] = None
    with_nan = [dict(r) for r in rows]
    with_nan[row][field] = math.nan
    records, _ = lenient_records(with_nan, SCHEMA)
    encoded = records.encode(ENCODER)
    assert same(encoded.matrix, ENCODER.encode(with_null).matrix)
    assert encoded.leniencies == {Leniency.NAN}


@given(strict_rows)
def test_numbers_as_strings_and_extra_keys_read_as_the_rows_they_mean(rows: list[dict[str, Any]]) -> None:
    as_text = [{**r, "age": None if r["age"] is None else repr(r["age"]), "note": "x"} for r in rows]
    records, found = lenient_records(as_text, SCHEMA)
    encoded = records.encode(ENCODER)
    assert same(encoded.matrix, ENCODER.encode(rows).matrix)
    assert found == {Leniency.EXTRA_COLUMN}
    strings = any(r["age"] is not None for r in rows)
    assert encoded.leniencies == ({Leniency.NUMBERS_AS_STRINGS} if strings else set())


def test_booleans_are_one_and_zero() -> None:
    table, _ = lenient_table(NAMES, [[True, False, "red"]], SCHEMA)
    encoded = table.encode(ENCODER)
    assert encoded.matrix.tolist() == [[1.0, 0.0, 2.0]]
    assert encoded.leniencies == {Leniency.BOOLEANS}


def test_a_key_some_records_lack_is_missing_there_and_a_key_none_has_is_refused() -> None:
    records, found = lenient_records(
        [{"age": 1, "colour": "red"}, {"age": 2, "income": 3, "colour": "blue"}], SCHEMA
    )
    assert found == {Leniency.MISSING_KEY}
    assert same(matrix(records), np.array([[1, np.nan, 2], [2, 3, 0]], dtype=np.float32))
    records, _ = lenient_records([{"age": 1, "colour": "red"}], SCHEMA)
    with pytest.raises(InputDoesNotFitSchema) as caught:
        records.encode(ENCODER)
    assert [e.field for e in caught.value.errors] == ["income"]


def test_columns_of_scalars_are_one_row_and_of_lists_a_table() -> None:
    one, found = lenient_columns({"age": 1, "income": 2.5, "colour": "red"}, SCHEMA)
    assert found == {Leniency.SINGLE_ROW_INPUTS}
    assert matrix(one).tolist() == [[1.0, 2.5, 2.0]]
    # MLflow checks the object against its signature as it is: a key that is no feature is refused.
    with pytest.raises(InputDoesNotFitSchema) as caught:
        lenient_columns({"age": 1, "income": 2.5, "colour": "red", "x": 0}, SCHEMA)
    assert [e.field for e in caught.value.errors] == ["x"]
    table, found = lenient_columns({"colour": ["red", "blue"], "income": [1, 2], "age": [3, 4]}, SCHEMA)
    assert found == set()
    assert matrix(table).tolist() == [[3.0, 1.0, 2.0], [4.0, 2.0, 0.0]]


def test_a_table_with_columns_and_no_rows_is_an_empty_batch() -> None:
    table, found = lenient_table(NAMES, [], SCHEMA)
    assert found == {Leniency.EMPTY_DATA}
    assert matrix(table).shape == (0, 3)
    without_a_feature, _ = lenient_table(["age"], [], SCHEMA)
    with pytest.raises(InputDoesNotFitSchema):
        without_a_feature.encode(ENCODER)


@pytest.mark.parametrize("value", ["one", "", "inf", float("inf"), [1]])
def test_what_is_not_a_number_is_still_refused(value: object) -> None:
    table, _ = lenient_table(NAMES, [[value, 1, "red"]], SCHEMA)
    with pytest.raises(InvalidInput) as caught:
        table.encode(ENCODER)
    assert [(e.row, e.field) for e in caught.value.errors] == [(0, "age")]


def test_rows_that_are_not_objects_do_not_fit_the_schema() -> None:
    with pytest.raises(InputDoesNotFitSchema):
        lenient_records([{"age": 1, "income": 2, "colour": "red"}, 7], SCHEMA)


def test_csv_cells_keep_the_text_reading() -> None:
    table, found = lenient_table(["extra", *NAMES], [["x", "1", "", "red"]], SCHEMA, ValueFormat.TEXT)
    assert found == {Leniency.EXTRA_COLUMN}
    assert same(matrix(table), np.array([[1, np.nan, 2]], dtype=np.float32))


def test_csv_true_and_false_of_numeric_features_are_one_and_zero_as_pandas_reads_them() -> None:
    table, _ = lenient_table(
        NAMES, [["True", "false", "red"], ["TRUE", "2", "true"]], SCHEMA, ValueFormat.TEXT
    )
    table, found = csv_booleans(table, SCHEMA)
    assert found == {Leniency.BOOLEANS}
    assert matrix(table)[:, :2].tolist() == [[1.0, 0.0], [1.0, 2.0]]
    assert np.isnan(matrix(table)[1, 2])  # "true" is a category never seen for colour: missing
