"""A big body is read off the event loop (on a worker thread when there are no decoder
processes), so the loop keeps answering other requests; a small one is read on the loop."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import pytest
from starlette.requests import Request

from predictor.domain.encoding.inputs import ModelInput, Records
from predictor.domain.schema import FeatureSchema
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.protocol import INLINE_BODY_BYTES, decoded_body
from tests.unit.http.conftest import trained_container


def request_with(body: bytes) -> Request:
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    app = create_app(trained_container(decoder_processes=0))
    return Request({"type": "http", "method": "POST", "headers": [], "app": app}, receive)


@pytest.mark.parametrize(("size", "on_the_loop"), [(INLINE_BODY_BYTES, True), (INLINE_BODY_BYTES + 1, False)])
def test_bodies_past_the_inline_size_are_read_off_the_event_loop(size: int, on_the_loop: bool) -> None:
    def read(body: bytes, schema: FeatureSchema | None) -> tuple[tuple[int, int], ModelInput]:
        return (threading.get_ident(), len(body)), Records([])

    async def read_and_compare() -> tuple[bool, int]:
        loop_thread = threading.get_ident()
        (thread, length), _ = await decoded_body(request_with(b" " * size), read)
        return thread == loop_thread, length

    assert anyio.run(read_and_compare) == (on_the_loop, size)
