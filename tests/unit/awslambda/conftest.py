"""Mangum answers each event on ``asyncio.get_event_loop()``: the main thread's loop, made when
the adapter is built and kept, as a Lambda process wants. Here these tests share one loop, closed
when they are done, so no loop (and its self-pipe sockets) outlives them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="package", autouse=True)
def main_thread_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()
    asyncio.set_event_loop_policy(None)  # a fresh policy: no loop, as before these tests
