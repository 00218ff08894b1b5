"""A big body is parsed on a worker thread, so the event loop keeps answering other requests."""

from __future__ import annotations

import threading

import anyio
import pytest

from predictor.services.serving.core import INLINE_BODY_BYTES, decode_body


@pytest.mark.parametrize(("size", "on_the_loop"), [(INLINE_BODY_BYTES, True), (INLINE_BODY_BYTES + 1, False)])
def test_bodies_past_the_inline_size_are_parsed_off_the_event_loop(size: int, on_the_loop: bool) -> None:
    async def parse_and_compare() -> tuple[bool, int]:
        loop_thread = threading.get_ident()
        thread, length = await decode_body(lambda body: (threading.get_ident(), len(body)), b" " * size)
        return thread == loop_thread, length

    assert anyio.run(parse_and_compare) == (on_the_loop, size)
