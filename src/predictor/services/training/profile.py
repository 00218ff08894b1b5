"""What the data checks need to know of a table, gathered part by part and merged: one pass over
the rows of each part, whichever engine reads them (the whole table is one part).

A ``TableProfile`` holds counts, capped sets and flags, never the rows, so the profiles of many
parts merge into that of the whole table: the checks in data_checks.py read the merged profile.
Sets are capped where a column could be huge: the target's distinct values at
``MAX_TARGET_VALUES``; a feature keeps its distinct values (up to ``MAX_DISTINCT``) when it holds
text or few numbers in a part, and otherwise only their count (column_checks.py); duplicate rows
are counted from a 64-bit hash of each row.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.table import Table
from predictor.services.training.column_profile import ColumnProfile, as_numbers, profile_column
from predictor.services.training.tabular import is_missing, label_of

MAX_TARGET_VALUES = 10_000  # more distinct target values than this cannot be classes
INFERENCE_VALUES = 21  # infer_task tells classes from numbers by at most 20 distinct integers


@dataclass(frozen=True)
class TargetProfile:
    """The target's present values: how many, whether text, whether integral, and the labels."""

    present: int = 0
    text_or_bool: bool = False
    integral: bool = True
    values: frozenset[Any] = frozenset()  # distinct values, at most INFERENCE_VALUES
    labels: Counter[str] = field(default_factory=Counter)  # at most MAX_TARGET_VALUES
    overflow: bool = False  # more distinct labels than MAX_TARGET_VALUES

    def merge(self, other: TargetProfile) -> TargetProfile:
        labels = self.labels + other.labels
        overflow = self.overflow or other.overflow or len(labels) > MAX_TARGET_VALUES
        return TargetProfile(
            self.present + other.present,
            self.text_or_bool or other.text_or_bool,
            self.integral and other.integral,
            frozenset(list(self.values | other.values)[:INFERENCE_VALUES]),
            labels if not overflow else Counter(dict(list(labels.items())[:MAX_TARGET_VALUES])),
            overflow,
        )


@dataclass(frozen=True)
class TableProfile:
    """A table's (or a part's) profile: rows, the target, every column, and row hashes."""

    name: str
    target: str
    rows: int
    target_profile: TargetProfile
    columns: dict[str, ColumnProfile]
    row_hashes: npt.NDArray[np.uint64]
    fingerprint: str = ""  # a part's own (``fingerprint``); merged, a SHA-256 of the parts'

    def merge(self, other: TableProfile) -> TableProfile:
        """The profile of this part followed by ``other`` (a part with the same columns)."""
        return replace(
            self,
            rows=self.rows + other.rows,
            target_profile=self.target_profile.merge(other.target_profile),
            columns={name: column.merge(other.columns[name]) for name, column in self.columns.items()},
            row_hashes=np.concatenate([self.row_hashes, other.row_hashes]),
            fingerprint=hashlib.sha256((self.fingerprint + other.fingerprint).encode()).hexdigest(),
        )

    @property
    def duplicates(self) -> int:
        return int(len(self.row_hashes) - len(np.unique(self.row_hashes)))


def profile_target(values: Sequence[Any]) -> TargetProfile:
    """The profile of the target's present values."""
    present = [v for v in values if not is_missing(v)]
    text = any(isinstance(v, str | bool) for v in present)
    integral = not text and all(float(v).is_integer() for v in present)
    distinct: set[Any] = set()
    for value in present:
        if len(distinct) >= INFERENCE_VALUES:
            break
        distinct.add(value)
    labels = Counter(label_of(v) for v in present)
    overflow = len(labels) > MAX_TARGET_VALUES
    if overflow:
        labels = Counter(dict(list(labels.items())[:MAX_TARGET_VALUES]))
    return TargetProfile(len(present), text, integral, frozenset(distinct), labels, overflow)


def profile_table(table: Table, name: str | None = None) -> TableProfile:
    """One pass over ``table``'s rows (a part of a table called ``name``, or the whole of it)."""
    target_all = table.columns[table.target]
    keep = [not is_missing(v) for v in target_all]
    target = [v for v, k in zip(target_all, keep, strict=True) if k]
    columns = {
        column: profile_column(values, keep, target, is_target=column == table.target)
        for column, values in table.columns.items()
    }
    hashes = [value_hashes(values) for values in table.columns.values()]
    return TableProfile(
        name or table.name, table.target, table.rows, profile_target(target), columns,
        row_hashes(hashes, table.rows), _fingerprint(table, hashes),
    )  # fmt: skip


MISSING = np.uint64(0x9E3779B97F4A7C15)  # the hash of a missing value, in every column
_PRIME = np.uint64(0x100000001B3)


def value_hashes(values: Sequence[Any]) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each value, the same in every process and column type: a number's
    float64 bits, a text's BLAKE2b, ``MISSING`` for a missing value."""
    numbers = as_numbers(values)
    if numbers is None:
        known: dict[Any, int] = {}
        return np.fromiter(
            (known[v] if v in known else known.setdefault(v, _one_hash(v)) for v in values),
            dtype=np.uint64,
            count=len(values),
        )
    hashes = numbers.view(np.uint64).copy()
    hashes[np.isnan(numbers)] = MISSING
    return hashes


def _one_hash(value: Any) -> int:
    if is_missing(value):
        return int(MISSING)
    if isinstance(value, str):
        return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "little")
    return int(np.float64(value).view(np.uint64))


def row_hashes(columns: Sequence[npt.NDArray[np.uint64]], rows: int) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each row from its values' hashes, in column order."""
    hashes = np.zeros(rows, dtype=np.uint64)
    for column in columns:
        hashes ^= column
        hashes *= _PRIME
    return hashes


def fingerprint(table: Table) -> str:
    """A SHA-256 of the table's column names and values, to tell data sets apart."""
    return _fingerprint(table, [value_hashes(v) for v in table.columns.values()])


def _fingerprint(table: Table, hashes: Sequence[npt.NDArray[np.uint64]]) -> str:
    digest = hashlib.sha256()
    for name, column in zip(table.columns, hashes, strict=True):
        digest.update(name.encode())
        digest.update(column.tobytes())
    return digest.hexdigest()
