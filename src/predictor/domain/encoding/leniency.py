"""Why a body was read more leniently than the strict reading would (``Leniency``), and the
leniencies the values of a table rely on when read as ``ValueFormat.LENIENT``.

The value leniencies are found by ``NamedRows.encode``, and only when the rows are not plain
finite numbers (the fast path's test fails): a body of plain numbers is never scanned again.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from enum import StrEnum
from itertools import chain
from operator import itemgetter

from predictor.domain.schema import FeatureKind, FeatureSchema


class Leniency(StrEnum):
    """Why a body was read more leniently than the strict reading would (the ``reason`` label
    of ``predictor_lenient_readings_total``)."""

    NAN = "nan"
    EXTRA_COLUMN = "extra_column"
    CSV_INDEX = "csv_index"
    UNKNOWN_PARAMS = "unknown_params"
    UNKNOWN_KEY = "unknown_key"
    NUMBERS_AS_STRINGS = "numbers_as_strings"
    BOOLEANS = "booleans"
    MISSING_KEY = "missing_key"
    SINGLE_ROW_INPUTS = "single_row_inputs"
    EMPTY_DATA = "empty_data"
    PARQUET = "parquet"


def value_leniencies(
    rows: Sequence[Sequence[object]], schema: FeatureSchema, names: Sequence[str]
) -> frozenset[Leniency]:
    """What reading the values of ``rows`` (in the order of ``names``) as ``LENIENT`` relies on:
    NaN read as missing, booleans as 1 and 0, strings of numbers for numeric features."""
    types = set(map(type, chain.from_iterable(rows)))
    found: set[Leniency] = set()
    if bool in types:
        found.add(Leniency.BOOLEANS)
    if float in types and any(map(math.isnan, _floats(rows))):
        found.add(Leniency.NAN)
    if str in types:
        kinds = {f.name: f.kind for f in schema.features}
        numeric = [k for k, name in enumerate(names) if kinds.get(name) is FeatureKind.NUMERIC]
        if any(str in _column_types(rows, k) for k in numeric):
            found.add(Leniency.NUMBERS_AS_STRINGS)
    return frozenset(found)


def _floats(rows: Sequence[Sequence[object]]) -> Iterator[float]:
    return (v for v in chain.from_iterable(rows) if type(v) is float)


def _column_types(rows: Sequence[Sequence[object]], k: int) -> set[type]:
    """The types of column ``k``'s values, at C speed; rows too short for it are the encoder's to report."""
    try:
        return set(map(type, map(itemgetter(k), rows)))
    except IndexError:
        return {type(row[k]) for row in rows if isinstance(row, list | tuple) and k < len(row)}
