"""The body decoder's processes: one that stops or stalls while reading is replaced and the body
read again; twice in a row is ``DecoderUnavailable``, never a hang; the errors they send back
are the ones the reader raised."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import anyio
import pytest

from predictor.container import Container
from predictor.domain.errors import (
    DataCheckFailed,
    DecoderUnavailable,
    FieldError,
    InvalidInput,
    PayloadTooLarge,
    PredictorError,
    TooManyRequests,
)
from predictor.services.serving.codecs.base import without_rows
from predictor.services.serving.codecs.predictor import read_predict as read_decoded
from predictor.services.serving.decoder_process import Reader
from predictor.services.serving.offload import BodyDecoder, EncodedBatch
from tests.unit import stopping_readers
from tests.unit.builders import serving

# The /predict reader, as the serving core hands it to the decoder: envelope and rows apart.
read_predict = partial(without_rows, read_decoded)

ROOT = Path(__file__).resolve().parents[2]
BODY = b'{"instances": [{"x1": 1.0, "x2": 2.0, "colour": "red"}]}'


@pytest.fixture
def container(monkeypatch: pytest.MonkeyPatch) -> Container:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the decoder processes import tests.unit.stopping_readers
    return serving()


@pytest.fixture
def decoder() -> Iterator[BodyDecoder]:
    decoder = BodyDecoder(processes=1, max_rows=10, timeout_s=2.0)
    yield decoder
    decoder.close()


def decode(decoder: BodyDecoder, container: Container, read: Reader) -> tuple[object, EncodedBatch]:
    async def one() -> tuple[object, EncodedBatch]:
        return await decoder.decode(read, BODY, container.slot().current())

    return anyio.run(one)


def test_a_body_that_stops_two_processes_is_decoder_unavailable_and_the_next_is_read(
    decoder: BodyDecoder, container: Container
) -> None:
    with pytest.raises(DecoderUnavailable, match="stopped, twice"):
        decode(decoder, container, stopping_readers.stop)
    _, batch = decode(decoder, container, read_predict)

    assert batch.size == 1
    assert len(decoder.pids) == 1


def test_a_process_that_stops_is_replaced_and_the_body_read_again(
    decoder: BodyDecoder, container: Container, tmp_path: Path
) -> None:
    envelope, batch = decode(decoder, container, partial(stopping_readers.stop_once, tmp_path / "stopped"))

    assert envelope == "read again"
    assert batch.size == 1
    assert (tmp_path / "stopped").exists()


def test_a_process_that_stalls_is_killed_and_the_request_answered(
    decoder: BodyDecoder, container: Container
) -> None:
    with pytest.raises(DecoderUnavailable):
        decode(decoder, container, stopping_readers.stall)
    assert decode(decoder, container, read_predict)[1].size == 1


def test_after_close_no_process_is_left_and_none_starts(decoder: BodyDecoder, container: Container) -> None:
    decode(decoder, container, read_predict)
    decoder.close()

    assert decoder.pids == ()
    assert not decoder.enabled


@pytest.mark.parametrize(
    "error",
    [
        InvalidInput([FieldError(3, "x1", "must be a number"), FieldError(None, None, "and more")]),
        InvalidInput([FieldError(None, "instances", "is required")], summary="the body is not JSON"),
        PayloadTooLarge("the batch has 11 rows; the limit is 10", limit=10, actual=11),
        TooManyRequests("slow down", retry_after=2.5),
        DataCheckFailed(["a column is empty", "the target has one class"]),
        DecoderUnavailable("stopped"),
    ],
)
def test_the_errors_a_decoder_process_sends_back_arrive_as_raised(error: PredictorError) -> None:
    arrived = pickle.loads(pickle.dumps(error))  # noqa: S301  # our own bytes

    assert type(arrived) is type(error)
    assert arrived.args == error.args
    assert vars(arrived) == vars(error)
