"""Token buckets by key (a client address, an API key id): how the service brakes a client.

Each key has a bucket of ``burst`` tokens, refilled at ``rate`` tokens a second. ``take``
spends a token, ``wait`` only looks; both answer how many seconds the caller must wait before
a token is there (0 when there is one). Memory is bounded: past ``max_keys`` buckets, the one
touched longest ago (the most refilled) is dropped.
Callers pass ``now`` (a monotonic clock's seconds), so the buckets are pure and testable.
"""

from __future__ import annotations

import threading

DEFAULT_MAX_KEYS = 10_000


class TokenBuckets:
    def __init__(self, burst: int, rate: float, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        if burst < 1 or rate <= 0:
            raise ValueError("a token bucket needs burst >= 1 and rate > 0")
        self.burst = burst
        self.rate = rate
        self._max_keys = max_keys
        # key -> (tokens, when they were counted); insertion order is age order.
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` has a token (0: it has one now); spends nothing."""
        with self._lock:
            return self._wait(self._tokens(key, now))

    def take(self, key: str, now: float) -> float:
        """Spend one of ``key``'s tokens and answer 0; or, with none left, the seconds to wait."""
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens < 1:
                return self._wait(tokens)
            self._buckets.pop(key, None)
            self._buckets[key] = (tokens - 1, now)
            self._bound()
            return 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def _tokens(self, key: str, now: float) -> float:
        counted = self._buckets.get(key)
        if counted is None:
            return float(self.burst)
        tokens, when = counted
        return min(float(self.burst), tokens + max(0.0, now - when) * self.rate)

    def _wait(self, tokens: float) -> float:
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _bound(self) -> None:
        # The bucket touched longest ago goes first: it is the one most refilled.
        while len(self._buckets) > self._max_keys:
            del self._buckets[next(iter(self._buckets))]
