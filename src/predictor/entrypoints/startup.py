"""Process start-up without the cyclic garbage collector.

Importing FastAPI, pydantic and numpy and building the app create a few hundred thousand
objects that live as long as the process; the collector, triggered by allocation counts,
walks them several times during start-up and finds no garbage. Turning it off while the
process starts shortens ``predictor serve``'s start (figures in docs/performance.md).
``gc.freeze`` then moves those objects out of the collector's way for good, so later
collections (on the request path) do not walk them either.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (it stays off if it already was)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def started() -> None:
    """Start-up is over: keep what exists out of every future collection, and collect again."""
    gc.freeze()
    gc.enable()
