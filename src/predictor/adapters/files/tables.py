"""CSV and Parquet files -> ``Table``, through pandas (a training extra, imported here only).

CSV: the delimiter is guessed from the first lines unless given (``.tsv`` means tab); every
field is read as text, stripped of surrounding spaces, and the NA markers (the empty field,
``NA``, ``NaN``, ``null``, ``None``, ``N/A``, plus ``ReadOptions.na_values``, by default
``?``) become missing. A column whose present values all read as numbers is numeric; any
other column is categorical (its values stay text). Parquet keeps its own types: numbers stay
numbers, nulls are missing, everything else becomes stripped text. Every failure to read is a
``DataError`` with one line saying why.
"""

from __future__ import annotations

import csv
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from predictor.domain.errors import DataError
from predictor.domain.table import ReadOptions, Table

_STANDARD_NA = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "none", "#N/A"})
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
_PARQUET = frozenset({".parquet", ".pq"})


def read_table_file(path: Path, options: ReadOptions) -> Table:
    if not path.is_file():
        raise DataError(f"no such file: {path}")
    columns = _read_parquet(path) if path.suffix.lower() in _PARQUET else _read_csv(path, options)
    if not columns or not next(iter(columns.values())):
        raise DataError(f"{path.name} has no data rows")
    if options.target is None:
        raise DataError(f"name the target column of {path.name} with --target; its columns: {_list(columns)}")
    if options.target not in columns:
        raise DataError(f"{path.name} has no column {options.target!r}; its columns: {_list(columns)}")
    return Table(name=path.stem, columns=columns, target=options.target)


def _list(columns: dict[str, list[Any]]) -> str:
    names = list(columns)
    shown = ", ".join(repr(n) for n in names[:20])
    return shown + (f", … ({len(names)} in all)" if len(names) > 20 else "")


def _delimiter(path: Path, options: ReadOptions) -> str:
    if options.delimiter:
        return "\t" if options.delimiter in ("\\t", "tab") else options.delimiter
    if path.suffix.lower() == ".tsv":
        return "\t"
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        sample = handle.read(_SNIFF_BYTES)
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _read_csv(path: Path, options: ReadOptions) -> dict[str, list[Any]]:
    import pandas as pd

    delimiter = _delimiter(path, options)
    try:
        with warnings.catch_warnings():
            # A row longer than the header would silently become an index, or lose fields.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                sep=delimiter,
                header=0 if options.header else None,
                index_col=False,
                dtype=str,
                keep_default_na=False,
                skipinitialspace=True,
                skip_blank_lines=True,
                encoding="utf-8",
            )
    except pd.errors.ParserWarning as exc:
        raise DataError(
            f"{path.name} is not a well-formed CSV file: a row has more fields than the header"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{path.name} is empty") from exc
    except pd.errors.ParserError as exc:
        raise DataError(f"{path.name} is not a well-formed CSV file: {_first_line(exc)}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name} is not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path.name}: {_first_line(exc)}") from exc
    na = _STANDARD_NA | {v.strip() for v in options.na_values}
    names = [str(c).strip() for c in frame.columns]
    if not options.header:
        names = [f"column_{j + 1}" for j in range(len(names))]
    if len(set(names)) != len(names):
        raise DataError(f"{path.name} has duplicate column names after stripping spaces: {names}")
    return {name: _typed(frame.iloc[:, j].tolist(), na) for j, name in enumerate(names)}


def _typed(raw: Sequence[Any], na: frozenset[str]) -> list[Any]:
    """Stripped text with NA markers as None; all numbers -> floats."""
    values: list[Any] = []
    for value in raw:
        text = value.strip() if isinstance(value, str) else value
        values.append(None if text is None or text in na else text)
    numbers: list[Any] = []
    for value in values:
        if value is None:
            numbers.append(None)
            continue
        try:
            number = float(value)
        except ValueError:
            return values
        numbers.append(number if math.isfinite(number) else None)
    return numbers


def _read_parquet(path: Path) -> dict[str, list[Any]]:
    import pandas as pd

    try:
        import pyarrow
    except ImportError as exc:
        raise DataError("reading Parquet needs pyarrow; install predictor[train]") from exc
    try:
        frame = pd.read_parquet(path, engine="pyarrow")
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise DataError(f"{path.name} is not a readable Parquet file: {_first_line(exc)}") from exc
    columns: dict[str, list[Any]] = {}
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            columns[str(name).strip()] = [
                None if v is None or (isinstance(v, float) and not math.isfinite(v)) else float(v)
                for v in series.astype("float64").tolist()
            ]
        else:
            columns[str(name).strip()] = [
                None if pd.isna(v) else str(v).strip() or None for v in series.tolist()
            ]
    return columns


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
