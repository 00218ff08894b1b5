"""The checks every input shape makes before encoding: the feature names it gives, and the
refusal of a malformed batch as a whole (no row index)."""

from __future__ import annotations

from collections.abc import Sequence

from predictor.domain.encoding.rows import MAX_REPORTED_ERRORS, RowEncoder
from predictor.domain.errors import FieldError, InputDoesNotFitSchema, InvalidInput


def refuse(message: str, field: str | None = None) -> InvalidInput:
    """The error for a batch that is wrong as a whole (or one field of it, in every row)."""
    return InvalidInput([FieldError(None, field, message)])


def no_rows() -> InputDoesNotFitSchema:
    """The error for a batch without a row."""
    return InputDoesNotFitSchema([FieldError(None, None, "the batch is empty: send at least one row")])


def check_names(encoder: RowEncoder, names: object, what: str) -> list[str]:
    """``names`` as strings if they are every feature of ``encoder`` exactly once, in any order;
    else ``InvalidInput`` naming each unknown, repeated and missing one."""
    if not isinstance(names, Sequence) or isinstance(names, str | bytes):
        raise refuse(f"{what} must be a list of feature names")
    errors = [
        FieldError(None, str(name), "is not a feature of this model")
        for name in names
        if not isinstance(name, str) or name not in encoder.positions
    ]
    seen: set[str] = set()
    twice = []
    for name in names:
        if isinstance(name, str) and name in seen:
            twice.append(FieldError(None, name, f"appears twice in {what}"))
        seen.add(str(name))
    errors += twice
    missing = [
        FieldError(None, name, f"is missing from {what}; send null for unknown values")
        for name in encoder.names
        if name not in seen
    ]
    errors += missing
    if errors:
        raise (InputDoesNotFitSchema if missing or twice else InvalidInput)(errors[:MAX_REPORTED_ERRORS])
    return [str(name) for name in names]
