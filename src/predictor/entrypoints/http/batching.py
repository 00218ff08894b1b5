"""Requests that reach the model in the same turn of the event loop share one model call.

A model call has a fixed cost besides its rows: libxgboost 3.2 parses its device string with
two freshly built ``std::regex`` on every call, about a third of a 1-row request's
instructions (docs/performance.md). Under concurrent load, several requests are ready at once;
each prepares its rows, then waits here. The first to arrive schedules the call for the next
turn (``call_soon``, no timer), so the others ready in this turn join it; the rows are stacked,
scored once, and each request gets its own slice back. Alone, a request waits for no timer and
no other request, only for two turns of the loop (what that costs alone and saves under load:
docs/performance.md). A request whose client has gone meanwhile is
left out of the answers; the others are not held up by it.

Scores do not depend on the batch a row is scored in (each row's trees are summed on their own;
tested). Requests prepared for different models (a reload between two of them) are scored by
their own model.
"""

from __future__ import annotations

import asyncio

import numpy as np

from predictor.domain.ports import Matrix, Scores, ServableModel

# One call holds no more rows than this; later requests of the same turn start another.
MAX_ROWS = 256


class _Pending:
    __slots__ = ("futures", "matrices", "model", "rows")

    def __init__(self, model: ServableModel) -> None:
        self.model = model
        self.matrices: list[Matrix] = []
        self.futures: list[asyncio.Future[Scores]] = []
        self.rows = 0


class SharedModelCalls:
    """``await calls.scores(model, matrix)``: ``model.predict(matrix)``, shared with the other
    requests of this turn of the event loop. One per event loop (per app)."""

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self._max_rows = max_rows
        self._open: dict[int, _Pending] = {}
        self.requests = 0  # requests that came for scores so far, and the model calls made
        self.calls = 0

    async def scores(self, model: ServableModel, matrix: Matrix) -> Scores:
        loop = asyncio.get_running_loop()
        pending = self._open.get(id(model))
        if pending is None or pending.rows + len(matrix) > self._max_rows:
            pending = self._open[id(model)] = _Pending(model)
            loop.call_soon(self._score, pending)
        future: asyncio.Future[Scores] = loop.create_future()
        self.requests += 1
        pending.matrices.append(matrix)
        pending.futures.append(future)
        pending.rows += len(matrix)
        return await future

    def _score(self, pending: _Pending) -> None:
        if self._open.get(id(pending.model)) is pending:
            del self._open[id(pending.model)]
        matrices, futures = pending.matrices, pending.futures
        self.calls += 1
        try:
            if len(matrices) == 1:
                parts = [pending.model.predict(matrices[0])]
            else:
                scores = pending.model.predict(np.concatenate(matrices))
                bounds = np.cumsum([len(m) for m in matrices])[:-1]
                parts = np.split(scores, bounds)
        except Exception as error:  # noqa: BLE001  # each request answers it as its own
            for future in futures:
                if not future.done():  # a request cancelled meanwhile (client gone)
                    future.set_exception(error)
            return
        for future, part in zip(futures, parts, strict=True):
            if not future.done():
                future.set_result(part)
