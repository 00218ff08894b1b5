"""The input shapes (table, columns, matrix, CSV text) encode like rows, and fail the same way."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictor.domain.encoding.inputs import Columns, FeatureMatrix, ModelInput, NamedRows, Records
from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import InvalidInput
from predictor.domain.ports import Matrix
from predictor.domain.preprocessing import MissingValues, Preprocessing
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target, TaskType

NAMES = ("age", "income", "colour")
SCHEMA = FeatureSchema(
    features=(
        Feature("age"),
        Feature("income"),
        Feature("colour", FeatureKind.CATEGORICAL, ("blue", "green", "red")),
    ),
    target=Target("bought", TaskType.BINARY, ("no", "yes")),
    preprocessing=Preprocessing(MissingValues.MEDIAN, fill=(30.0, None, 1.0)),
)
ENCODER = RowEncoder(SCHEMA)
ROWS: list[dict[str, Any]] = [
    {"age": 40, "income": 2.5, "colour": "red"},
    {"age": None, "income": -1e3, "colour": "purple"},
    {"age": 7.25, "income": None, "colour": None},
]


def table(rows: list[dict[str, Any]], order: tuple[str, ...] = NAMES) -> NamedRows:
    return NamedRows(list(order), [[row.get(n) for n in order] for row in rows])


def columns(rows: list[dict[str, Any]]) -> Columns:
    return Columns({n: [row.get(n) for row in rows] for n in NAMES})


def errors_of(batch: ModelInput) -> list[tuple[int | None, str | None]]:
    with pytest.raises(InvalidInput) as caught:
        batch.encode(ENCODER)
    return [(e.row, e.field) for e in caught.value.errors]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def test_every_shape_gives_the_rows_matrix_preprocessing_included() -> None:
    expected = ENCODER.encode(ROWS)
    assert expected.matrix[1, 0] == 30.0  # the fitted median filled the missing age
    for batch in (table(ROWS), table(ROWS, ("colour", "income", "age")), columns(ROWS)):
        encoded = batch.encode(ENCODER)
        assert same(encoded.matrix, expected.matrix)
        assert (encoded.unseen_categories, encoded.unseen_features) == (1, ("colour",))


def test_a_table_without_names_is_in_schema_order() -> None:
    rows = [[row[n] for n in NAMES] for row in ROWS]
    assert same(NamedRows(None, rows).encode(ENCODER).matrix, ENCODER.encode(ROWS).matrix)


def test_numpy_columns_read_nan_as_missing_and_refuse_infinity() -> None:
    batch = Columns(
        {
            "age": np.array([40.0, np.nan, 7.25]),
            "income": np.array([2, -1000, 0]),
            "colour": ["red", "x", None],
        }
    )
    encoded = batch.encode(ENCODER).matrix
    assert encoded[1, 0] == 30.0
    assert encoded[:, 1].tolist() == [2.0, -1000.0, 0.0]
    bad = Columns({"age": np.array([1.0, np.inf]), "income": np.array([1.0, 1e39]), "colour": ["red", "red"]})
    assert errors_of(bad) == [(1, "age"), (1, "income")]


def test_a_json_list_refuses_nan_as_rows_do() -> None:
    assert errors_of(Columns({"age": [math.nan], "income": [1.0], "colour": ["red"]})) == [(0, "age")]


def test_csv_text_cells_parse_numbers_and_read_empty_as_missing() -> None:
    text = NamedRows(["colour", "age", "income"], [["red", "40", " 2.5"], ["", "", "NaN"]], ValueFormat.TEXT)
    matrix = text.encode(ENCODER).matrix
    assert matrix[0].tolist() == [40.0, 2.5, 2.0]
    assert matrix[1, 0] == 30.0  # empty -> missing -> median
    assert math.isnan(matrix[1, 1])
    with pytest.raises(InvalidInput) as caught:
        NamedRows(["colour", "age", "income"], [["red", "forty", "inf"]], ValueFormat.TEXT).encode(ENCODER)
    assert [(e.row, e.field, e.message) for e in caught.value.errors] == [
        (0, "age", "must be a number or empty, got 'forty'"),
        (0, "income", "must be a finite number, got 'inf'"),
    ]


def test_a_matrix_takes_category_codes() -> None:
    matrix = FeatureMatrix([40, 2.5, 2, 7.25, None, 0], rows=2).encode(ENCODER).matrix
    assert matrix[0].tolist() == [40.0, 2.5, 2.0]
    assert matrix[1, 2] == 0.0
    assert math.isnan(matrix[1, 1])
    assert errors_of(FeatureMatrix([1, 2, 3, 1, 2, 0.5], rows=2)) == [(0, "colour"), (1, "colour")]
    assert errors_of(FeatureMatrix([1, 2, "red"], rows=1)) == [(0, "colour")]
    assert errors_of(FeatureMatrix([1, 2], rows=1)) == [(None, None)]


@pytest.mark.parametrize(
    ("batch", "expected"),
    [
        (NamedRows(["age", "income"], [[1, 2]]), [(None, "colour")]),
        (NamedRows(["age", "income", "colour", "height"], [[1, 2, "red", 3]]), [(None, "height")]),
        (NamedRows(["age", "age", "income", "colour"], [[1, 1, 2, "red"]]), [(None, "age")]),
        (NamedRows(list(NAMES), [[1, 2]]), [(0, None)]),
        (NamedRows(list(NAMES), [{"age": 1}]), [(0, None)]),
        (NamedRows(list(NAMES), []), [(None, None)]),
        (NamedRows("age", [[1]]), [(None, None)]),
        (Columns({"age": [1, 2], "income": [1], "colour": ["red", "red"]}), [(None, "income")]),
        (Columns({"age": [1], "income": [1]}), [(None, "colour")]),
        (Columns({"age": 1, "income": [1], "colour": ["red"]}), [(None, "age")]),
        (Columns({"age": [], "income": [], "colour": []}), [(None, None)]),
        (
            Columns({"age": ["1"], "income": [True], "colour": [2]}),
            [(0, "age"), (0, "income"), (0, "colour")],
        ),
    ],
)
def test_what_is_wrong_is_named(batch: ModelInput, expected: list[tuple[int | None, str | None]]) -> None:
    assert errors_of(batch) == expected


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
    | st.sampled_from(["red", "blue", ""])
)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
)
full_rows = st.lists(st.fixed_dictionaries(dict.fromkeys(NAMES, scalars)), min_size=1, max_size=6)


@given(names=json_like, rows=json_like, fmt=st.sampled_from(ValueFormat))
def test_any_table_encodes_or_is_invalid_input(names: object, rows: object, fmt: ValueFormat) -> None:
    for batch in (NamedRows(names, rows, fmt), NamedRows(list(NAMES), rows, fmt), Records(rows)):
        with contextlib.suppress(InvalidInput):
            batch.encode(ENCODER)


@given(
    data=st.dictionaries(st.sampled_from([*NAMES, "x"]), json_like, max_size=4),
    fmt=st.sampled_from(ValueFormat),
)
def test_any_columns_encode_or_are_invalid_input(data: dict[str, object], fmt: ValueFormat) -> None:
    with contextlib.suppress(InvalidInput):
        Columns(data, fmt).encode(ENCODER)


@given(values=st.lists(scalars, max_size=12), rows=st.integers(-1, 4))
def test_any_matrix_encodes_or_is_invalid_input(values: list[object], rows: int) -> None:
    with contextlib.suppress(InvalidInput):
        FeatureMatrix(values, rows).encode(ENCODER)


@given(rows=full_rows)
def test_rows_table_and_columns_agree_on_any_values(rows: list[dict[str, Any]]) -> None:
    outcomes: list[Matrix | None] = []
    for batch in (Records(rows), table(rows), table(rows, ("colour", "age", "income")), columns(rows)):
        try:
            outcomes.append(batch.encode(ENCODER).matrix)
        except InvalidInput:
            outcomes.append(None)
    first = outcomes[0]
    if first is None:
        assert all(outcome is None for outcome in outcomes)
    else:
        assert all(outcome is not None and same(outcome, first) for outcome in outcomes)
