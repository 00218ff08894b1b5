"""A decoder process: reads request bodies and encodes their rows, off the serving process's GIL.

    python -c "from predictor.services.serving.decoder_process import main; main()"

It serves one parent (``offload.BodyDecoder``) over its standard input and output, one request
at a time: a header (the model's encoder token, the feature schema the first time that token
is used, the body reader, the row limit), then the body; it answers with one ``Reply``. It
keeps the encoders of the last few model versions, so it compiles each once. It ends when its
input closes (its parent closed it, or died), and ignores SIGINT and SIGTERM, so a terminal's
Ctrl-C or a service manager's stop reaches the parent, which finishes its requests first.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from predictor.domain.encoding.inputs import ModelInput
from predictor.domain.encoding.rows import EncodedRows, RowEncoder
from predictor.domain.errors import InvalidInput, PredictorError
from predictor.domain.schema import FeatureSchema

# The encoders a process keeps (model versions): the served one, and the one before it for the
# requests still in flight across a reload, with room to spare. The parent mirrors this.
KEPT_ENCODERS = 4
_SIZES = struct.Struct("!QQ")
_SIZE = struct.Struct("!Q")

# A body reader: (body, schema) -> (the envelope's own values, the rows as a ModelInput).
Reader = Callable[[bytes, FeatureSchema | None], tuple[Any, ModelInput]]


@dataclass(frozen=True, slots=True)
class Header:
    token: int
    schema: FeatureSchema | None  # sent the first time this process sees ``token``
    read: Reader
    max_rows: int


@dataclass(frozen=True, slots=True)
class Read:
    """The body was read: its envelope, its number of rows (None for a wrong shape), and what
    encoding them gave (None: not encoded, more than ``max_rows``)."""

    envelope: object
    size: int | None
    outcome: EncodedRows | InvalidInput | None


@dataclass(frozen=True, slots=True)
class Refused:
    """Reading the body raised a domain error (the envelope is wrong): raise it as it is."""

    error: PredictorError


@dataclass(frozen=True, slots=True)
class Failed:
    """Something unexpected was raised (a bug): raise it in the parent, this traceback noted."""

    error: BaseException


Reply = Read | Refused | Failed


def write_frame(stream: IO[bytes], header: bytes, body: bytes) -> None:
    stream.write(_SIZES.pack(len(header), len(body)))
    stream.write(header)
    stream.write(body)
    stream.flush()


def read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("the stream ended")
    return data


def write_reply(stream: IO[bytes], reply: bytes) -> None:
    stream.write(_SIZE.pack(len(reply)))
    stream.write(reply)
    stream.flush()


def read_reply(stream: IO[bytes]) -> bytes:
    (size,) = _SIZE.unpack(read_exactly(stream, _SIZE.size))
    return read_exactly(stream, size)


def answer(encoders: dict[int, RowEncoder], header: Header, body: bytes) -> Reply:
    """Read ``body`` with ``header.read`` and encode its rows, as ``MakePrediction`` would."""
    if header.schema is not None:
        encoders[header.token] = RowEncoder(header.schema)
        while len(encoders) > KEPT_ENCODERS:
            del encoders[next(iter(encoders))]
    encoder = encoders[header.token]
    try:
        envelope, batch = header.read(body, encoder.schema)
    except PredictorError as error:
        return Refused(error)
    size = batch.size
    if size is not None and size > header.max_rows:
        return Read(envelope, size, None)
    try:
        outcome: EncodedRows | InvalidInput = batch.encode(encoder)
    except InvalidInput as error:
        outcome = error
    return Read(envelope, size, outcome)


def _failed(error: BaseException) -> bytes:
    error.add_note("raised in a decoder process:\n" + "".join(traceback.format_exception(error)))
    try:
        return pickle.dumps(Failed(error))
    except Exception:  # noqa: BLE001  # an exception that does not pickle: send what it said
        return pickle.dumps(Failed(RuntimeError(f"{type(error).__name__}: {error}")))


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer requests until ``requests`` ends."""
    encoders: dict[int, RowEncoder] = {}
    while True:
        try:
            header_size, body_size = _SIZES.unpack(read_exactly(requests, _SIZES.size))
        except EOFError:
            return
        header = pickle.loads(read_exactly(requests, header_size))  # noqa: S301  # from our parent only
        body = read_exactly(requests, body_size)
        try:
            reply = pickle.dumps(answer(encoders, header, body))
        except Exception as error:  # noqa: BLE001  # a bug: the parent raises it for this request
            reply = _failed(error)
        del body
        write_reply(replies, reply)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Replies go to the original standard output; anything printed goes to standard error.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, replies)
