"""A big body is read off the event loop (on a worker thread when there are no decoder
processes), so the loop keeps answering other requests; a small one is read on the loop."""

from __future__ import annotations

import threading

import anyio
import pytest

from predictor.domain.encoding.inputs import Records
from predictor.domain.options import PredictionOptions
from predictor.domain.schema import FeatureSchema
from predictor.services.serving.codecs.base import Decoded
from predictor.services.serving.core import INLINE_BODY_BYTES
from tests.unit.http.conftest import trained_container


def read(body: bytes, schema: FeatureSchema | None) -> Decoded:
    """Which thread read the body, and how long it was."""
    return Decoded(Records([]), PredictionOptions(), id=f"{threading.get_ident()}:{len(body)}")


@pytest.mark.parametrize(("extra", "on_the_loop"), [(0, True), (1, False)])
def test_bodies_past_the_inline_size_are_read_off_the_event_loop(extra: int, on_the_loop: bool) -> None:
    core = trained_container(decoder_processes=0).serving_core()
    size = INLINE_BODY_BYTES + extra

    async def read_and_compare() -> tuple[bool, int]:
        loop_thread = threading.get_ident()
        decoded = await core.decode(read, b" " * size, core.models.default())
        thread, length = str(decoded.id).split(":")
        return int(thread) == loop_thread, int(length)

    assert anyio.run(read_and_compare) == (on_the_loop, size)
