"""The ``Clock`` contract, run against the fake (``FixedClock``) and the wall clock
(``SystemClock``): now is a timezone-aware instant (the services compare it with the times in
secrets and export records, and write it into them), and it never goes backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from predictor.adapters.memory import FixedClock
from predictor.adapters.system.clock import SystemClock
from predictor.domain.ports import Clock


@pytest.fixture(params=["fixed", "system"])
def clock(request: pytest.FixtureRequest) -> Clock:
    if request.param == "fixed":
        return FixedClock(datetime(2026, 1, 1, 12, tzinfo=UTC))
    return SystemClock()


def test_now_is_timezone_aware(clock: Clock) -> None:
    now = clock.now()
    assert now.tzinfo is not None
    assert now.utcoffset() is not None
    # Comparable with any other aware instant, as a naive one would not be.
    assert abs(now - datetime(2026, 1, 1, tzinfo=UTC)) < timedelta(days=365 * 100)


def test_now_never_goes_backwards(clock: Clock) -> None:
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(readings)
