"""Row encoding: client rows -> float32 matrix, or one InvalidInput listing every bad field."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.errors import InvalidInput
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target, TaskType

SCHEMA = FeatureSchema(
    features=(
        Feature("age"),
        Feature("income"),
        Feature("colour", FeatureKind.CATEGORICAL, ("blue", "green", "red")),
    ),
    target=Target("bought", TaskType.BINARY, ("no", "yes")),
)
ENCODER = RowEncoder(SCHEMA)


def encode(rows: Any) -> np.ndarray:
    return ENCODER.encode(rows).matrix


def errors_of(rows: Any) -> list[tuple[int | None, str | None]]:
    with pytest.raises(InvalidInput) as caught:
        encode(rows)
    return [(e.row, e.field) for e in caught.value.errors]


def test_rows_become_a_float32_matrix_in_schema_order() -> None:
    matrix = encode([{"colour": "red", "income": 2.5, "age": 40}])
    assert matrix.dtype == np.float32
    assert matrix.tolist() == [[40.0, 2.5, 2.0]]


def test_null_means_missing_and_becomes_nan() -> None:
    matrix = encode([{"age": None, "income": 1, "colour": None}])
    assert math.isnan(matrix[0, 0])
    assert math.isnan(matrix[0, 2])


def test_a_category_never_seen_in_training_becomes_missing_and_is_counted() -> None:
    encoded = ENCODER.encode([{"age": 1, "income": 1, "colour": "purple"}])
    assert math.isnan(encoded.matrix[0, 2])
    assert encoded.unseen_categories == 1


def test_missing_feature_is_reported_with_its_row() -> None:
    assert errors_of([{"age": 1, "income": 2, "colour": "red"}, {"age": 1, "colour": "red"}]) == [
        (1, "income")
    ]


def test_unexpected_feature_is_reported() -> None:
    assert errors_of([{"age": 1, "income": 2, "colour": "red", "height": 3}]) == [(0, "height")]


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("12", "got a string"),
        (True, "got a boolean"),
        ([1], "got a list"),
        ({"v": 1}, "got an object"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (1e300, "32-bit"),
        (10**400, "32-bit"),
    ],
)
def test_a_numeric_feature_refuses_anything_but_a_finite_number(value: object, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        encode([{"age": value, "income": 1, "colour": "red"}])
    (error,) = caught.value.errors
    assert (error.row, error.field) == (0, "age")
    assert fragment in error.message


def test_a_categorical_feature_refuses_numbers() -> None:
    assert errors_of([{"age": 1, "income": 1, "colour": 3}]) == [(0, "colour")]


def test_every_bad_field_of_every_row_is_reported_at_once() -> None:
    rows = [{"age": "x", "income": 1, "colour": "red"}, {"income": None, "colour": 1, "extra": 0}]
    assert errors_of(rows) == [(0, "age"), (1, "age"), (1, "colour"), (1, "extra")]


@pytest.mark.parametrize("rows", [[], {}, "rows", None, 3])
def test_empty_batches_and_non_lists_are_refused(rows: object) -> None:
    assert errors_of(rows) == [(None, None)]


def test_a_row_that_is_not_an_object_is_refused() -> None:
    assert errors_of([[1, 2, 3]]) == [(0, None)]


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
feature_names = st.sampled_from(["age", "income", "colour", "other", ""])
rowish = st.dictionaries(feature_names, json_values, max_size=5) | json_values


@given(st.lists(rowish, max_size=6) | json_values)
def test_any_json_like_input_either_encodes_or_raises_invalid_input(rows: object) -> None:
    outcome: np.ndarray | InvalidInput
    try:
        outcome = encode(rows)
    except InvalidInput as error:
        outcome = error
    if isinstance(outcome, InvalidInput):
        assert outcome.errors
        assert all(e.message for e in outcome.errors)
    else:
        assert outcome.shape == (len(rows), 3)  # type: ignore[arg-type]
        assert np.all(np.isfinite(outcome) | np.isnan(outcome))


valid_rows = st.fixed_dictionaries(
    {
        "age": st.none() | st.integers(-(10**6), 10**6) | st.floats(-1e6, 1e6, allow_nan=False),
        "income": st.none() | st.floats(-1e9, 1e9, allow_nan=False),
        "colour": st.none() | st.sampled_from(["blue", "green", "red", "unseen"]),
    }
)


@given(st.lists(valid_rows, min_size=1, max_size=20))
def test_encoding_a_batch_equals_encoding_each_row_alone(rows: list[dict[str, object]]) -> None:
    together = encode(rows)
    alone = np.vstack([encode([row]) for row in rows])
    np.testing.assert_array_equal(together, alone)


NUMERIC = RowEncoder(
    FeatureSchema(
        features=(Feature("a"), Feature("b")),
        target=Target("y", TaskType.REGRESSION),
    )
)
numbers = st.integers(-(10**40), 10**40) | st.floats(allow_nan=True, allow_infinity=True)
numeric_rows = st.fixed_dictionaries({"a": numbers, "b": numbers}) | st.dictionaries(
    st.sampled_from(["a", "b", "c"]), json_values, max_size=3
)


@given(st.lists(numeric_rows, max_size=8) | json_values)
def test_the_fast_path_for_plain_numbers_agrees_with_the_checking_path(rows: object) -> None:
    """encode() takes a C-speed path for rows of plain finite numbers; whatever the input, its
    answer (matrix or the exact field errors) is the value-by-value path's answer."""
    checked: np.ndarray | list[tuple[int | None, str | None, str]]
    try:
        checked = NUMERIC._encode_checked(rows).matrix
    except InvalidInput as error:
        checked = [(e.row, e.field, e.message) for e in error.errors]
    fast: np.ndarray | list[tuple[int | None, str | None, str]]
    try:
        fast = NUMERIC.encode(rows).matrix
    except InvalidInput as error:
        fast = [(e.row, e.field, e.message) for e in error.errors]
    if isinstance(checked, np.ndarray):
        assert isinstance(fast, np.ndarray)
        np.testing.assert_array_equal(fast, checked)
    else:
        assert fast == checked


def test_plain_number_rows_take_the_fast_path() -> None:
    rows = [{"a": 1, "b": 2.5}, {"a": -3.25, "b": 4}]
    fast = NUMERIC._plain_numbers(rows)
    assert fast is not None
    np.testing.assert_array_equal(fast, NUMERIC._encode_checked(rows).matrix)
    assert NUMERIC._plain_numbers([{"a": 1, "b": True}]) is None
    assert NUMERIC._plain_numbers([{"a": 1, "b": None}]) is None
    assert NUMERIC._plain_numbers([{"a": 1, "b": 2, "c": 3}]) is None


table_rows = st.lists(
    st.lists(numbers | st.none() | st.booleans() | st.text(max_size=2), min_size=2, max_size=2)
)


@given(table_rows, st.sampled_from([("a", "b"), ("b", "a")]))
def test_tables_of_plain_numbers_encode_like_rows_of_objects(
    rows: list[list[object]], names: tuple[str, str]
) -> None:
    """dataframe_split-style tables take a C-speed path too; in any column order, their matrix
    (or their failure) is that of the same rows sent as objects."""
    from predictor.domain.encoding.inputs import NamedRows

    as_objects = [dict(zip(names, row, strict=True)) for row in rows]
    try:
        expected: np.ndarray | None = NUMERIC._encode_checked(as_objects).matrix
    except InvalidInput:
        expected = None
    try:
        got: np.ndarray | None = NamedRows(list(names), rows).encode(NUMERIC).matrix
    except InvalidInput:
        got = None
    if expected is None:
        assert got is None
    else:
        assert got is not None
        np.testing.assert_array_equal(got, expected)
