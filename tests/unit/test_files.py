"""CSV and Parquet files -> tables: delimiters, headers, NA markers, spaces, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from predictor.adapters.sklearn.datasets import LocalDatasetSource
from predictor.domain.errors import DataError
from predictor.domain.table import ReadOptions
from tests.messy import write_messy_csv

SOURCE = LocalDatasetSource()


def test_a_messy_csv_reads_with_numbers_text_and_missing_values(tmp_path: Path) -> None:
    table = SOURCE.load(str(write_messy_csv(tmp_path / "messy.csv", rows=30)), ReadOptions(target="label"))
    assert table.name == "messy"
    assert list(table.columns) == ["age", "income", "colour", "city", "constant", "label"]
    assert table.columns["age"][:2] == [pytest.approx(table.columns["age"][0]), table.columns["age"][1]]
    assert all(isinstance(v, float) for v in table.columns["age"])
    assert table.columns["income"][0] is None  # "?" (row 0 is a multiple of 11)
    assert table.columns["colour"][0] is None  # the empty field
    assert table.columns["city"][0] is None  # " NA", stripped
    assert set(table.columns["colour"]) <= {"red", "green", "blue", None}
    assert set(table.columns["label"]) == {"yes", "no"}


@pytest.mark.parametrize(("delimiter", "suffix"), [(";", ".csv"), ("\t", ".tsv"), ("|", ".txt")])
def test_the_delimiter_is_guessed(tmp_path: Path, delimiter: str, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    path.write_text(
        delimiter.join(["a", "b", "y"])
        + "\n"
        + "\n".join(f"{i}{delimiter}x{i % 3}{delimiter}{i % 2}" for i in range(30))
    )
    table = SOURCE.load(str(path), ReadOptions(target="y"))
    assert table.columns["a"][:3] == [0.0, 1.0, 2.0]
    assert table.columns["b"][:3] == ["x0", "x1", "x2"]


def test_a_headerless_csv_names_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "raw.csv"
    path.write_text("1,a,0\n2,b,1\n3,a,0\n")
    table = SOURCE.load(str(path), ReadOptions(target="column_3", header=False, delimiter=","))
    assert list(table.columns) == ["column_1", "column_2", "column_3"]
    assert table.rows == 3


def test_custom_na_markers(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a,y\n-999,1\n2,0\n")
    table = SOURCE.load(str(path), ReadOptions(target="y", na_values=("-999",)))
    assert table.columns["a"] == [None, 2.0]


def test_parquet_keeps_types_and_nulls(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    frame = pd.DataFrame({"a": [1.5, None, 3.0], "b": [" x", None, "y "], "y": [0, 1, 0]})
    frame.to_parquet(path)
    table = SOURCE.load(str(path), ReadOptions(target="y"))
    assert table.columns["a"] == [1.5, None, 3.0]
    assert table.columns["b"] == ["x", None, "y"]
    assert table.columns["y"] == [0.0, 1.0, 0.0]


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        ("", ReadOptions(target="y"), "is empty"),
        ("a,y\n", ReadOptions(target="y"), "has no data rows"),
        ("a,y\n1,2\n", ReadOptions(target="z"), "has no column 'z'; its columns: 'a', 'y'"),
        ("a,y\n1,2\n", ReadOptions(), "name the target column of d.csv with --target"),
        ('a,y\n"1,2\n3,4\n', ReadOptions(target="y", delimiter=","), "not a well-formed CSV file"),
        ("a,y\n1,2,3,4\n5\n", ReadOptions(target="y", delimiter=","), "not a well-formed CSV file"),
    ],
)
def test_bad_files_are_one_clear_data_error(
    tmp_path: Path, content: str, options: ReadOptions, message: str
) -> None:
    path = tmp_path / "d.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        SOURCE.load(str(path), options)


def test_a_missing_file_and_a_non_parquet_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        SOURCE.load(str(tmp_path / "nope.csv"), ReadOptions(target="y"))
    fake = tmp_path / "d.parquet"
    fake.write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="not a readable Parquet file"):
        SOURCE.load(str(fake), ReadOptions(target="y"))
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"a,y\n\xff\xfe,1\n")
    with pytest.raises(DataError, match="not UTF-8"):
        SOURCE.load(str(binary), ReadOptions(target="y", delimiter=","))
