"""One client value -> the float a model reads: the converters ``RowEncoder`` compiles per feature.

A converter returns NaN for a missing value and raises ``BadValue`` with a message for the
client. Three formats share the rules:

- ``JSON``: numbers for numeric features, strings for categorical ones, ``null`` for missing.
- ``TEXT``: CSV cells. The empty cell is missing; numeric cells are parsed as numbers
  (``NaN`` reads as missing, ``inf`` is refused); categorical cells are the category itself.
- ``CODES``: a numeric matrix (Open Inference Protocol tensor). Numeric features as in JSON;
  a categorical feature is its category code, the category's position in the vocabulary.
- ``LENIENT``: JSON as ``mlflow models serve`` reads it (pandas, then the signature's types).
  NaN is missing, as ``null`` is; for a numeric feature a boolean is 1 or 0 and a string is
  parsed as a number (``"NaN"`` is missing; an empty or non-numeric string, and infinity,
  are refused, as pandas refuses them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from enum import Enum

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)

Converter = Callable[[object], float]


class ValueFormat(Enum):
    JSON = "json"
    TEXT = "text"
    CODES = "codes"
    LENIENT = "lenient"


class BadValue(Exception):
    def __init__(self, message: str) -> None:
        self.message = message


def describe(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _checked(number: float, shown: object) -> float:
    if not math.isfinite(number):
        raise BadValue(f"must be a finite number, got {shown!r}")
    if abs(number) > FLOAT32_MAX:
        raise BadValue("is too large for a 32-bit float")
    return number


def numeric(value: object) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"must be a number or null, got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise BadValue("is too large for a 32-bit float") from None
    return _checked(number, value)


def numeric_text(value: object) -> float:
    if value is None or value == "":
        return math.nan
    if not isinstance(value, str):
        return numeric(value)
    try:
        number = float(value)
    except ValueError:
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise BadValue(f"must be a number or empty, got {shown!r}") from None
    # pandas and Arrow read "NaN" as a missing value; so does predictor, in CSV only.
    return math.nan if math.isnan(number) else _checked(number, value)


def numeric_lenient(value: object) -> float:
    if isinstance(value, float) and math.isnan(value):
        return math.nan
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            shown = value if len(value) <= 20 else value[:20] + "…"
            raise BadValue(f"must be a number (or a string of one) or null, got {shown!r}") from None
        return math.nan if math.isnan(number) else _checked(number, value)
    return numeric(value)


def categorical(lookup: Mapping[str, float], allowed: str) -> Converter:
    def convert(value: object) -> float:
        if value is None:
            return math.nan
        if not isinstance(value, str):
            raise BadValue(f"must be a category (a string, one of {allowed}) or null, got {describe(value)}")
        # A category never seen in training is treated as missing, as XGBoost does.
        return lookup.get(value, math.nan)

    return convert


def categorical_text(lookup: Mapping[str, float], allowed: str) -> Converter:
    convert = categorical(lookup, allowed)

    def convert_text(value: object) -> float:
        return math.nan if value == "" else convert(value)

    return convert_text


def categorical_lenient(lookup: Mapping[str, float], allowed: str) -> Converter:
    convert = categorical(lookup, allowed)

    def convert_lenient(value: object) -> float:
        return math.nan if isinstance(value, float) and math.isnan(value) else convert(value)

    return convert_lenient


def category_code(count: int) -> Converter:
    def convert(value: object) -> float:
        if value is None:
            return math.nan
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (0 <= value < count)
            or value != int(value)
        ):
            raise BadValue(f"must be a category code (an integer from 0 to {count - 1}) or null")
        return float(value)

    return convert
