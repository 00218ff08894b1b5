"""Captured values against a reference profile (reference.py): counted batch by batch into a
tally (so memory stays flat however many rows are captured), then compared.

- PSI: sum over bins of (live - reference) * ln(live / reference), shares floored at 1e-4.
- KS: the largest gap between the live and reference CDFs, evaluated just below and at each of
  the reference's percentiles; it is at most 0.01 below the exact two-sample statistic between
  the reference rows and the captured rows (no more than 1 % of the reference lies between two
  adjacent percentiles), and never above it.
- Shares: the largest change of one category's (or class's) share; codes the reference never
  saw count from a share of 0.
- Missing: the change of the missing-value rate.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from predictor.domain.reference import CategoricalReference, LabelReference, NumericReference

SHARE_FLOOR = 1e-4  # PSI's shares are floored here, so an empty bin gives a large, finite term


@dataclass(frozen=True)
class Thresholds:
    """A column drifts when one of its statistics is above its threshold."""

    psi: float = 0.2
    ks: float = 0.1
    missing: float = 0.1
    shares: float = 0.1


def psi(reference: npt.ArrayLike, live: npt.ArrayLike) -> float:
    """The population stability index of ``live`` shares against ``reference`` shares."""
    expected = np.clip(np.asarray(reference, dtype=np.float64), SHARE_FLOOR, None)
    actual = np.clip(np.asarray(live, dtype=np.float64), SHARE_FLOOR, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


@dataclass
class Tally:
    """What captured values of one column (or the predictions) came to, against its reference."""

    reference: NumericReference | CategoricalReference | LabelReference
    rows: int = 0
    missing: int = 0
    bins: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    below: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    at: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    counts: Counter[int | str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        if isinstance(self.reference, NumericReference):
            self.bins = np.zeros(len(self.reference.edges) + 1, dtype=np.int64)
            self.below = np.zeros(len(self.reference.points), dtype=np.int64)
            self.at = np.zeros(len(self.reference.points), dtype=np.int64)

    @property
    def present(self) -> int:
        return self.rows - self.missing

    def add(self, values: npt.NDArray[np.generic]) -> None:
        """Count one batch: floats (NaN missing) for numeric and categorical columns, labels
        (strings) for a classifier's predictions."""
        self.rows += len(values)
        reference = self.reference
        if isinstance(reference, LabelReference):
            self.counts.update(str(v) for v in values)
            return
        column = np.asarray(values, dtype=np.float64)
        present = np.sort(column[~np.isnan(column)])
        self.missing += len(column) - len(present)
        if isinstance(reference, CategoricalReference):
            found, counts = np.unique(present.astype(np.int64), return_counts=True)
            self.counts.update({int(c): int(n) for c, n in zip(found, counts, strict=True)})
            return
        self.bins += np.bincount(
            np.searchsorted(reference.edges, present, side="right"), minlength=len(self.bins)
        )
        self.below += np.searchsorted(present, reference.points, side="left")
        self.at += np.searchsorted(present, reference.points, side="right")


@dataclass(frozen=True)
class ColumnDrift:
    """One column's statistics; ``shares`` are (bin or category, reference share, live share)."""

    name: str
    kind: str  # numeric, categorical or labels
    rows: int
    missing: tuple[float, float]  # reference rate, live rate
    shares: tuple[tuple[str, float, float], ...]
    psi: float | None
    ks: float | None = None
    share_change: float | None = None
    unseen: float = 0.0  # share of the live present values in categories the reference never saw
    flags: tuple[str, ...] = ()  # the statistics over their threshold: psi, ks, shares, missing


def compare(name: str, tally: Tally, thresholds: Thresholds, categories: Sequence[str] = ()) -> ColumnDrift:
    """The statistics of ``tally`` against its reference, and which thresholds they cross."""
    reference = tally.reference
    live_missing = tally.missing / tally.rows if tally.rows else 0.0
    ref_missing = 0.0 if isinstance(reference, LabelReference) else reference.missing
    missing = (ref_missing, live_missing)
    if isinstance(reference, NumericReference):
        drift = _numeric(name, tally, reference, missing)
    else:
        drift = _shares(name, tally, reference, missing, categories)
    return _flagged(drift, thresholds)


def _numeric(
    name: str, tally: Tally, reference: NumericReference, missing: tuple[float, float]
) -> ColumnDrift:
    present = max(tally.present, 1)
    live = tally.bins / present
    if not reference.shares:  # no value was present in training
        return ColumnDrift(name, "numeric", tally.rows, missing, (), None)
    shares = tuple(zip(bin_labels(reference.edges), reference.shares, (float(v) for v in live), strict=True))
    if not tally.present:
        return ColumnDrift(name, "numeric", tally.rows, missing, shares, None)
    gaps = np.concatenate(
        [np.abs(tally.below / present - reference.below), np.abs(tally.at / present - reference.at)]
    )
    return ColumnDrift(
        name, "numeric", tally.rows, missing, shares, psi(reference.shares, live), float(gaps.max())
    )


def _shares(
    name: str,
    tally: Tally,
    reference: CategoricalReference | LabelReference,
    missing: tuple[float, float],
    categories: Sequence[str],
) -> ColumnDrift:
    kind = "labels" if isinstance(reference, LabelReference) else "categorical"
    known: dict[int | str, float] = {k: v for k, v in reference.shares.items()}  # noqa: C416  # widens the key type
    keys = [*known, *(k for k in sorted(tally.counts, key=str) if k not in known)]
    present = max(tally.present, 1)
    pairs = [(known.get(k, 0.0), tally.counts.get(k, 0) / present) for k in keys]
    shares = tuple((_category(k, categories), ref, live) for k, (ref, live) in zip(keys, pairs, strict=True))
    if not tally.present:
        return ColumnDrift(name, kind, tally.rows, missing, shares, None)
    unseen = sum(tally.counts[k] for k in keys if k not in known) / present
    change = max(abs(live - ref) for ref, live in pairs)
    statistic = psi([r for r, _ in pairs], [v for _, v in pairs])
    return ColumnDrift(name, kind, tally.rows, missing, shares, statistic, None, change, unseen)


def _flagged(drift: ColumnDrift, thresholds: Thresholds) -> ColumnDrift:
    checks = (
        ("psi", drift.psi, thresholds.psi),
        ("ks", drift.ks, thresholds.ks),
        ("shares", drift.share_change, thresholds.shares),
        ("missing", abs(drift.missing[1] - drift.missing[0]), thresholds.missing),
    )
    flags = tuple(name for name, value, limit in checks if value is not None and value > limit)
    return replace(drift, flags=flags)


def _category(key: int | str, categories: Sequence[str]) -> str:
    if isinstance(key, str):
        return key
    return categories[key] if 0 <= key < len(categories) else f"code {key} (unseen)"


def bin_labels(edges: Sequence[float]) -> list[str]:
    """``< a``, ``[a, b)``, ..., ``>= z``: the bins of ``edges``, as a report shows them."""
    if not edges:
        return ["all"]
    inner = [f"[{a:.4g}, {b:.4g})" for a, b in itertools.pairwise(edges)]
    return [f"< {edges[0]:.4g}", *inner, f">= {edges[-1]:.4g}"]
