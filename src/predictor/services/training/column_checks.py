"""The checks of a data set's feature columns (on the rows that have a target) and of
its rows: columns mostly missing, constant, mixing numbers and text or like an identifier
(warnings), a column that is the target in disguise (a problem). They read each column's
profile (column_profile.py), merged over the parts of the table.
"""

from __future__ import annotations

from predictor.services.training.column_profile import ColumnProfile

MOSTLY_MISSING = 0.95
IDENTIFIER_MIN_DISTINCT = 50


def _leaks(column: ColumnProfile, classification: bool) -> bool:
    """Identical to the target, or (classification) a one-to-one relabelling of it."""
    if column.present < column.rows * 0.99 or not column.present:
        return False
    if column.same_label if classification else column.same_number:
        return True
    if not classification or column.relabelling is None:
        return False
    return len(column.relabelling[0]) > 1


def check_feature(
    name: str, column: ColumnProfile, classification: bool, problems: list[str], warnings: list[str]
) -> None:
    """Warnings for a column mostly missing, constant, mixing numbers and text or like an
    identifier; a problem for one that is the target in disguise."""
    missing_share = 1 - column.present / column.rows if column.rows else 0.0
    if missing_share >= MOSTLY_MISSING:
        warnings.append(f"column {name!r} is {missing_share:.0%} missing")
    distinct = column.distinct_count
    if distinct == 1:
        warnings.append(
            f"column {name!r} is constant ({next(iter(column.distinct))!r}); the model cannot use it"
        )
    if 0 < column.texts < column.present:
        warnings.append(f"column {name!r} mixes numbers and text; it is treated as categorical")
    if column.texts and distinct >= IDENTIFIER_MIN_DISTINCT and distinct > 0.5 * column.present:
        warnings.append(
            f"column {name!r} has {distinct} distinct values in {column.present} rows; "
            "an identifier? (drop it with --drop)"
        )
    if column.rows and _leaks(column, classification):
        problems.append(
            f"column {name!r} is the target in disguise (identical to it, value for value): "
            f"leakage; drop it with --drop {name!r}"
        )
