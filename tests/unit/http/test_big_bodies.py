"""A big body is parsed on a worker thread, so the event loop keeps answering other requests."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from starlette.requests import Request

from predictor.entrypoints.http.protocol import INLINE_BODY_BYTES, parsed_body


def request_with(body: bytes) -> Request:
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


@pytest.mark.parametrize(("size", "on_the_loop"), [(INLINE_BODY_BYTES, True), (INLINE_BODY_BYTES + 1, False)])
def test_bodies_past_the_inline_size_are_parsed_off_the_event_loop(size: int, on_the_loop: bool) -> None:
    async def parse_and_compare() -> tuple[bool, int]:
        loop_thread = threading.get_ident()
        thread, length = await parsed_body(
            request_with(b" " * size), lambda body: (threading.get_ident(), len(body))
        )
        return thread == loop_thread, length

    assert anyio.run(parse_and_compare) == (on_the_loop, size)
