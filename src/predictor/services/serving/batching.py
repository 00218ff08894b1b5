"""Batching as a wrapper around the model: concurrent requests share one model call.

A model call has a fixed cost besides its rows (libxgboost parses its device string on every
call; docs/performance.md). Under concurrent load several requests are ready at once; each
encodes its rows, then asks ``BatchedModel.scores``. The first to arrive schedules the call
for the next turn of the event loop (``call_soon``, no timer), so the others ready in this
turn join it; the rows are stacked, scored once, and each request gets its own slice back.
Alone, a request waits for no timer and no other request. A request cancelled meanwhile
(its client gone) is left out of the answers; the others are not held up by it. A big batch
is scored alone, on a worker thread, so that it never holds up the event loop.

Scores do not depend on the batch a row is scored in (each row's trees are summed on their
own; tested). Each served model has its own wrapper, so requests encoded for different
models (a reload between two of them) are scored by their own model.
"""

from __future__ import annotations

import asyncio

import anyio.to_thread
import numpy as np

from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, Scores, ServableModel

# One shared call holds no more rows than this; later requests of the same turn start another.
MAX_ROWS = 256
# Up to this many rows, scoring on the event loop costs less than a hop to a worker thread;
# bigger batches go to a thread so they do not hold up other requests.
INLINE_ROWS = 64


class _Pending:
    __slots__ = ("futures", "matrices", "rows")

    def __init__(self) -> None:
        self.matrices: list[Matrix] = []
        self.futures: list[asyncio.Future[Scores]] = []
        self.rows = 0


class BatchedModel:
    """``await batched.scores(matrix)``: ``model.predict(matrix)``, shared with the other
    requests of this turn of the event loop (or on a worker thread past ``inline_rows``).
    Also a ``ServableModel`` itself: ``predict`` and ``contributions`` call the model directly."""

    def __init__(
        self, model: ServableModel, max_rows: int = MAX_ROWS, inline_rows: int = INLINE_ROWS
    ) -> None:
        self.model = model
        self._max_rows = max_rows
        self._inline_rows = inline_rows
        self._open: _Pending | None = None
        self.requests = 0  # requests that came for scores so far, and the shared calls made
        self.calls = 0

    @property
    def manifest(self) -> ModelManifest:
        return self.model.manifest

    def predict(self, matrix: Matrix) -> Scores:
        return self.model.predict(matrix)

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        return self.model.contributions(matrix)

    def is_big(self, rows: int | None) -> bool:
        """Whether a batch of ``rows`` is worked on a worker thread rather than the event loop."""
        return rows is not None and rows > self._inline_rows

    async def scores(self, matrix: Matrix) -> Scores:
        if self.is_big(len(matrix)):
            return await anyio.to_thread.run_sync(self.model.predict, matrix)
        loop = asyncio.get_running_loop()
        pending = self._open
        if pending is None or pending.rows + len(matrix) > self._max_rows:
            pending = self._open = _Pending()
            loop.call_soon(self._score, pending)
        future: asyncio.Future[Scores] = loop.create_future()
        self.requests += 1
        pending.matrices.append(matrix)
        pending.futures.append(future)
        pending.rows += len(matrix)
        return await future

    def _score(self, pending: _Pending) -> None:
        if self._open is pending:
            self._open = None
        matrices, futures = pending.matrices, pending.futures
        self.calls += 1
        try:
            if len(matrices) == 1:
                parts = [self.model.predict(matrices[0])]
            else:
                scores = self.model.predict(np.concatenate(matrices))
                parts = np.split(scores, np.cumsum([len(m) for m in matrices])[:-1])
        except Exception as error:  # noqa: BLE001  # each request answers it as its own
            for future in futures:
                if not future.done():  # a request cancelled meanwhile (client gone)
                    future.set_exception(error)
            return
        for future, part in zip(futures, parts, strict=True):
            if not future.done():
                future.set_result(part)
