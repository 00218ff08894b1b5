"""A distribution counted in fixed buckets: cheap to add to, read as percentiles and as (value,
count) pairs for a metrics sink. Request latency and the shadow's figures use it."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

# Latency bucket upper bounds in ms: each 10 % above the one before, 150 buckets from the first.
LATENCY_BOUNDS_MS = tuple(0.05 * 1.1**k for k in range(150))
# Absolute differences between two models' scores: each bound 10 % above the one before (105 buckets);
# probabilities differ by at most 1, a regressor's values may differ by more (the last bucket).
DIFFERENCE_BOUNDS = tuple(0.0001 * 1.1**k for k in range(105))


@dataclass(slots=True)
class Histogram:
    """How many values fell in each bucket of ``bounds`` (plus one past the last), and the largest."""

    bounds: tuple[float, ...] = LATENCY_BOUNDS_MS
    count: int = 0
    maximum: float = 0.0
    buckets: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.buckets:
            self.buckets = [0] * (len(self.bounds) + 1)

    def add(self, value: float) -> None:
        self.count += 1
        self.buckets[bisect.bisect_left(self.bounds, value)] += 1
        self.maximum = max(self.maximum, value)

    def percentile(self, q: float) -> float:
        """The upper bound of the bucket holding the ``q`` quantile, never above the maximum."""
        rank, seen = q * self.count, 0
        for i, n in enumerate(self.buckets):
            seen += n
            if seen >= rank and n:
                return min(self._bound(i), self.maximum)
        return self.maximum

    def distribution(self, digits: int = 3) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Each non-empty bucket as (its upper bound, capped at the maximum seen, rounded to
        ``digits``; its count)."""
        seen = [(i, n) for i, n in enumerate(self.buckets) if n]
        values = tuple(round(min(self._bound(i), self.maximum), digits) for i, _ in seen)
        return values, tuple(float(n) for _, n in seen)

    def _bound(self, i: int) -> float:
        return self.bounds[i] if i < len(self.bounds) else self.maximum
