"""A capture store in memory: the batches by served name, and a switch that makes it fail."""
# Each batch is answered with the name a file of it would have (domain.capture.batch_file_name).

from __future__ import annotations

import threading
from datetime import UTC, datetime

from predictor.domain.capture import CapturedRows, batch_file_name
from predictor.domain.errors import CaptureUnavailable
from predictor.domain.ports import CaptureStore


class InMemoryCaptureStore(CaptureStore):
    """Keeps each batch as it is given; while ``failing`` is set (a reason), refuses them as a
    full disk or an unreachable bucket would."""

    def __init__(self) -> None:
        self.batches: dict[str, list[CapturedRows]] = {}
        self.failing: str | None = None
        self._lock = threading.Lock()

    def put_batch(self, served: str, rows: CapturedRows) -> str:
        if self.failing is not None:
            raise CaptureUnavailable(f"memory://{served}: {self.failing}")
        with self._lock:
            kept = self.batches.setdefault(served, [])
            kept.append(rows)
            return f"memory://{served}/{batch_file_name(datetime.now(UTC))}"

    def rows(self, served: str) -> int:
        """How many rows are kept for ``served``."""
        return sum(len(batch) for batch in self.batches.get(served, []))
