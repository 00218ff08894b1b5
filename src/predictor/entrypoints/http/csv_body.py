"""The CSV request body of ``/invocations`` as JSON Schema: a string whose pattern is the served
model's header line and rows (``request_bodies.py`` puts it beside the JSON bodies)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from predictor.domain.schema import FeatureKind

if TYPE_CHECKING:
    from predictor.entrypoints.http.request_bodies import Schema, ServedInputs

# A CSV cell: a number in plain or exponent notation within 32-bit float range (mantissa below
# 10, positive exponent at most 37), or nothing (missing); a category: any text, quoted when it
# holds a comma, a quote or a line break, or nothing.
_DECIMAL = r"[0-9]{1,17}(?:\.[0-9]{1,17})?"
_SCIENTIFIC = r"[0-9](?:\.[0-9]{1,17})?e(?:-[0-9]{1,3}|\+?(?:[0-2]?[0-9]|3[0-7]))"
_NUMBER = f"-?(?:{_DECIMAL}|{_SCIENTIFIC})"
_CATEGORY = r'[^,"\r\n\x00]+|"(?:[^"\x00]|"")*"'
_REGEX_SYNTAX = frozenset("^$\\.*+?()[]{}|/")


def _csv_field(text: str) -> str:
    """``text`` as one CSV field (quoted when it must be), as a regular expression."""
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return "".join("\\" + c if c in _REGEX_SYNTAX else c for c in text)


def _csv_line(values: Sequence[object]) -> str:
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow("" if value is None else value for value in values)
    return line.getvalue()


def csv_body(inputs: ServedInputs) -> Schema:
    schema = inputs.schema
    if schema is None:
        return {
            "schema": {
                "type": "string",
                "description": "A header line of feature names, then one line per row.",
            }
        }
    header = ",".join(_csv_field(name) for name in schema.names)
    cells = [_NUMBER if f.kind is FeatureKind.NUMERIC else _CATEGORY for f in schema.features]
    # An empty cell is missing; but a blank line is skipped, so a one-feature row is never empty.
    optional = "" if len(cells) == 1 else "?"
    row = ",".join(f"(?:{cell}){optional}" for cell in cells)
    pattern = rf"^{header}(?:\r?\n{row})+(?:\r?\n)?$"
    described: Schema = {
        "schema": {
            "type": "string",
            "pattern": pattern,
            "description": "A header line of the feature names, each once, in any order (described here in "
            "schema order), then one line per row, at most "
            f"{inputs.max_rows} (PREDICTOR_MAX_ROWS; the pattern leaves the bound out). An empty cell "
            "is missing; so is `NaN` in a numeric column.",
        }
    }
    if inputs.example is not None:
        values = [inputs.example.get(name) for name in schema.names]
        described["example"] = _csv_line(schema.names) + _csv_line(values)
    return described
