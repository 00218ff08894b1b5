"""The wall clock, the ``Clock`` for every real process."""

from __future__ import annotations

from datetime import UTC, datetime

from predictor.domain.ports import Clock


class SystemClock(Clock):
    """Now, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)
