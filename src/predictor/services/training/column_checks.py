"""The checks of a data set's feature columns (on the rows that have a target) and of
its rows: columns mostly missing, constant, mixing numbers and text or like an identifier
(warnings), a column that is the target in disguise (a problem), duplicate rows (a warning)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from predictor.domain.table import Table
from predictor.services.training.tabular import is_missing, label_of

MOSTLY_MISSING = 0.95
IDENTIFIER_MIN_DISTINCT = 50


def _same(value: object, target: object, classification: bool) -> bool:
    if classification:
        return label_of(value) == label_of(target)
    try:
        return float(value) == float(target)  # type: ignore[arg-type]  # any JSON-ish value
    except (TypeError, ValueError):
        return False


def _leaks(values: Sequence[Any], target: Sequence[Any], classification: bool) -> bool:
    """Identical to the target, or (classification) a one-to-one relabelling of it."""
    pairs = [(v, t) for v, t in zip(values, target, strict=True) if not is_missing(v)]
    if len(pairs) < len(target) * 0.99 or not pairs:
        return False
    if all(_same(v, t, classification) for v, t in pairs):
        return True
    if not classification:
        return False
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for v, t in pairs:
        key, label = label_of(v), label_of(t)
        if forward.setdefault(key, label) != label or backward.setdefault(label, key) != key:
            return False
    return len(forward) > 1


def check_feature(
    name: str,
    values: Sequence[Any],
    target: Sequence[Any],
    classification: bool,
    problems: list[str],
    warnings: list[str],
) -> None:
    """Warnings for a column mostly missing, constant, mixing numbers and text or like an
    identifier; a problem for one that is the target in disguise."""
    present = [v for v in values if not is_missing(v)]
    missing_share = 1 - len(present) / len(values) if values else 0.0
    if missing_share >= MOSTLY_MISSING:
        warnings.append(f"column {name!r} is {missing_share:.0%} missing")
    distinct = {label_of(v) for v in present}
    if len(distinct) == 1:
        warnings.append(f"column {name!r} is constant ({next(iter(distinct))!r}); the model cannot use it")
    texts = sum(isinstance(v, str) for v in present)
    if 0 < texts < len(present):
        warnings.append(f"column {name!r} mixes numbers and text; it is treated as categorical")
    if texts and len(distinct) >= IDENTIFIER_MIN_DISTINCT and len(distinct) > 0.5 * len(present):
        warnings.append(
            f"column {name!r} has {len(distinct)} distinct values in {len(present)} rows; "
            "an identifier? (drop it with --drop)"
        )
    if target and _leaks(values, target, classification):
        problems.append(
            f"column {name!r} is the target in disguise (identical to it, value for value): "
            f"leakage; drop it with --drop {name!r}"
        )


def duplicate_rows(table: Table) -> int:
    """How many rows repeat an earlier one exactly (missing values alike)."""
    columns = list(table.columns.values())
    seen: set[tuple[str, ...]] = set()
    duplicates = 0
    for row in zip(*columns, strict=True):
        key = tuple(repr(None if is_missing(v) else v) for v in row)
        if key in seen:
            duplicates += 1
        else:
            seen.add(key)
    return duplicates
