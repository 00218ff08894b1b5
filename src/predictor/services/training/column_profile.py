"""A column of a part, profiled for the data checks in one pass (column_checks.py reads it):
counts over all rows (its type) and over the rows with a target, its distinct values (kept up to
``MAX_DISTINCT`` when it holds text or few numbers, else only counted), and whether it equals the
target or relabels it one to one. Profiles of the parts of a table merge into the table's."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.services.training.tabular import is_missing, label_of

MAX_DISTINCT = 100_000  # distinct values kept of a column (beyond: counted only)
MAX_NUMBERS_KEPT = 1_000  # a part's numbers-only column keeps its values only up to this many
MAX_RELABEL = 10_000  # a column mapping one to one onto more target labels is not a relabelling

Relabelling = tuple[dict[str, str], dict[str, str]] | None  # value -> label, label -> value


@dataclass(frozen=True)
class ColumnProfile:
    """One column of a part: counts over all rows (its type), then over the rows with a target
    (the feature checks), with whether it equals the target or relabels it one to one."""

    present_all: int = 0
    texts_all: int = 0
    rows: int = 0  # rows with a target
    present: int = 0
    texts: int = 0
    distinct: frozenset[str] = frozenset()  # label_of the present values, capped
    more: int = 0  # distinct values beyond those kept, counted in their part
    same_label: bool = True  # every present value has the target's label
    same_number: bool = True  # every present value equals the target as a number
    relabelling: Relabelling = field(default_factory=lambda: ({}, {}))

    @property
    def distinct_count(self) -> int:
        """Exact within a part; across parts, values counted (not kept) in several count twice."""
        return len(self.distinct) + self.more

    @property
    def kind(self) -> str:
        if not self.present_all:
            return "empty"
        return "categorical" if self.texts_all else "numeric"

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        distinct = list(self.distinct | other.distinct)
        more = self.more + other.more + max(0, len(distinct) - MAX_DISTINCT)
        return ColumnProfile(
            self.present_all + other.present_all,
            self.texts_all + other.texts_all,
            self.rows + other.rows,
            self.present + other.present,
            self.texts + other.texts,
            frozenset(distinct[:MAX_DISTINCT]),
            more,
            self.same_label and other.same_label,
            self.same_number and other.same_number,
            _merge_relabelling(self.relabelling, other.relabelling),
        )


def _merge_relabelling(first: Relabelling, second: Relabelling) -> Relabelling:
    if first is None or second is None:
        return None
    forward, backward = dict(first[0]), dict(first[1])
    for key, label in second[0].items():
        if forward.setdefault(key, label) != label or backward.setdefault(label, key) != key:
            return None
    return None if len(forward) > MAX_RELABEL else (forward, backward)


def profile_column(
    values: Sequence[Any], keep: Sequence[bool], target: Sequence[Any], is_target: bool = False
) -> ColumnProfile:
    """The profile of one column of a part; ``keep`` marks the rows with a target, whose
    present values are ``target``. The target column itself is only typed."""
    numbers = as_numbers(values)
    if numbers is not None:
        return _profile_numbers(numbers, keep, target, is_target)
    present_all = [v for v in values if not is_missing(v)]
    texts_all = sum(isinstance(v, str) for v in present_all)
    if is_target:
        return ColumnProfile(len(present_all), texts_all)
    kept = [v for v, k in zip(values, keep, strict=True) if k]
    pairs = [(v, t) for v, t in zip(kept, target, strict=True) if not is_missing(v)]
    texts = sum(isinstance(v, str) for v, _ in pairs)
    labels = list({label_of(v) for v, _ in pairs})
    # Text, or few numbers: the values themselves (a mixed column unions them across parts);
    # many numbers: two of them (not constant) and how many.
    kept_labels = labels[:MAX_DISTINCT] if texts or len(labels) <= MAX_NUMBERS_KEPT else labels[:2]
    return ColumnProfile(
        len(present_all),
        texts_all,
        len(kept),
        len(pairs),
        texts,
        frozenset(kept_labels),
        len(labels) - len(kept_labels),
        all(_same(v, t, classification=True) for v, t in pairs),
        all(_same(v, t, classification=False) for v, t in pairs),
        _relabelling(pairs),
    )


def as_numbers(values: Sequence[Any]) -> npt.NDArray[np.float64] | None:
    """The column as float64 (NaN: missing), or None when it holds text."""
    if any(isinstance(v, str) for v in values):
        return None
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _profile_numbers(
    numbers: npt.NDArray[np.float64], keep: Sequence[bool], target: Sequence[Any], is_target: bool
) -> ColumnProfile:
    """``profile_column`` of a column without text, with numpy; the checks against the target
    stop at the first pair that settles them, as the text path's do."""
    present_all = int(np.count_nonzero(~np.isnan(numbers)))
    if is_target:
        return ColumnProfile(present_all, 0)
    kept = numbers[np.asarray(keep, dtype=bool)]
    present = ~np.isnan(kept)
    unique = np.unique(kept[present])
    labels = [label_of(float(x)) for x in (unique if len(unique) <= MAX_NUMBERS_KEPT else unique[:2])]

    def pairs() -> Iterator[tuple[float, Any]]:
        return (
            pair
            for pair, p in zip(zip(kept.tolist(), target, strict=True), present.tolist(), strict=True)
            if p
        )

    return ColumnProfile(
        present_all,
        0,
        len(kept),
        int(np.count_nonzero(present)),
        0,
        frozenset(labels),
        len(unique) - len(labels),
        all(_same(v, t, classification=True) for v, t in pairs()),
        all(_same(v, t, classification=False) for v, t in pairs()),
        _relabelling(pairs()),
    )


def _relabelling(pairs: Iterable[tuple[Any, Any]]) -> Relabelling:
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for v, t in pairs:
        key, label = label_of(v), label_of(t)
        if forward.setdefault(key, label) != label or backward.setdefault(label, key) != key:
            return None
        if len(forward) > MAX_RELABEL:
            return None
    return forward, backward


def _same(value: object, target: object, classification: bool) -> bool:
    if classification:
        return label_of(value) == label_of(target)
    try:
        return float(value) == float(target)  # type: ignore[arg-type]  # any JSON-ish value
    except (TypeError, ValueError):
        return False
