"""The transport-neutral serving core, in the manner of MLServer's DataPlane.

Every channel (HTTP, Lambda, the batch CLI) hands ``ServingCore.infer`` a protocol codec
(``codecs/``) and an ``InferenceRequest`` (body bytes, content type, the headers that matter,
the model named by the channel, if any), and gets back an ``InferenceResponse``: a status, a
body and headers. Requests the core cannot answer raise the domain's errors (and
``UnsupportedMediaType``); each channel maps them once, at its edge, as DataPlane's callers
map ``MLServerError`` (HTTP: problem+json, ``entrypoints/http/errors.py``).

The core never assumes a long-lived process: before it picks the model, it lets the model's
``ModelKeeper`` look at the alias when its time-to-live has passed and requests drive refresh
(``PREDICTOR_REFRESH=on_request``, AWS Lambda); otherwise a background task looks.

A body is decoded by ``ServingCore.decode``: on the event loop when small; on a worker thread
when big; when bigger than ``PROCESS_BODY_BYTES``, read and its rows encoded in a decoder process
(``offload.BodyDecoder``), where one is configured. An answer of many rows is built on a worker thread too.

A served name with a shadow challenger (``shadow.Shadow``) is offered each answered request,
once its answer is built: the offer only puts it in the shadow's queue, without waiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Protocol

import anyio.to_thread

from predictor.domain.ports import EventCounter
from predictor.domain.schema import FeatureSchema
from predictor.services.serving.batching import INLINE_ROWS
from predictor.services.serving.capture import CaptureRequests
from predictor.services.serving.codecs.base import (
    Decoded,
    Encoded,
    Reader,
    UnsupportedMediaType,
    without_rows,
)
from predictor.services.serving.leniency import LenientReadings
from predictor.services.serving.loading import ServedModel
from predictor.services.serving.models import ServedModels
from predictor.services.serving.offload import BodyDecoder
from predictor.services.serving.prediction import MakePrediction, PredictionResult
from predictor.services.serving.shadow import Shadow

MODEL_VERSION_HEADER = "X-Model-Version"
# Bodies up to this size are decoded on the event loop; bigger ones on a worker thread, so that
# decoding megabytes never holds up the other requests (health checks among them).
INLINE_BODY_BYTES = 64 * 1024
# Bodies bigger than this are read in a decoder process, where one is configured; between the
# two sizes a parse on a worker thread holds the loop for less than a hop to a process costs
# (docs/performance.md, "Event loop under big bodies").
PROCESS_BODY_BYTES = 1024 * 1024


class Codec(Protocol):
    """One protocol: what it reads (``content_types``; empty: any), how it decodes a body for
    the model named (``schema`` of the served model, when the channel named one) and encodes
    a result. Raises ``InvalidInput`` naming the field at fault."""

    content_types: tuple[str, ...]

    def parsed_bytes(self, request: InferenceRequest) -> int:
        """How much of the body is text to parse (JSON, CSV), which decides where it is read:
        raw tensor data after a JSON header needs no parsing."""
        ...

    def decode(self, request: InferenceRequest, media: str) -> Reader:
        """The function that reads this request's body (run where ``ServingCore.decode`` says)."""
        ...

    def encode(self, result: PredictionResult, decoded: Decoded, request_id: str) -> Encoded: ...


@dataclass(frozen=True, slots=True)
class InferenceRequest:
    body: bytes
    content_type: str | None
    request_id: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    model: str | None = None  # the model the channel names (a path's), else the one served
    version: str | None = None


@dataclass(frozen=True, slots=True)
class InferenceResponse:
    body: bytes
    media_type: str
    model_version: str  # the version that answered, even if another was swapped in meanwhile
    status: int = 200
    protocol_headers: Mapping[str, str] = field(default_factory=dict)  # the codec's own

    @property
    def headers(self) -> dict[str, str]:
        return {**self.protocol_headers, MODEL_VERSION_HEADER: self.model_version}


def negotiated(content_type: str | None, accepted: tuple[str, ...]) -> str:
    """The request's media type, one of ``accepted`` in UTF-8; ``UnsupportedMediaType`` otherwise."""
    media, *parameters = [part.strip() for part in (content_type or "").split(";")]
    media = media.lower()
    charset = next(
        (p.partition("=")[2].strip('"').lower() for p in parameters if p.lower().startswith("charset=")),
        "utf-8",
    )
    if media not in accepted or charset not in ("utf-8", "utf8"):
        choices = " or ".join(accepted)
        shown = content_type or "none"
        raise UnsupportedMediaType(f"send {choices} (UTF-8); the request's Content-Type is {shown!r}")
    return media


async def decode_body(read: Reader, body: bytes, schema: FeatureSchema | None) -> Decoded:
    """``read(body, schema)``: on the event loop for a small body, on a worker thread for a big one."""
    if len(body) > INLINE_BODY_BYTES:
        return await anyio.to_thread.run_sync(read, body, schema)
    return read(body, schema)


class ServingCore:
    """Answer a prediction request in any protocol, from the models served by name."""

    def __init__(
        self,
        models: ServedModels,
        make_prediction: MakePrediction,
        decoder: BodyDecoder | None = None,
        counter: EventCounter | None = None,
        shadows: Mapping[str, Shadow] | None = None,
        capture: CaptureRequests | None = None,
    ) -> None:
        self.models = models
        self._predict = make_prediction
        self._decoder = decoder
        self._lenient = LenientReadings(counter)
        self._shadows = shadows or {}
        self._capture = capture

    async def decode(
        self, read: Reader, body: bytes, served: ServedModel | None, parsed: int | None = None
    ) -> Decoded:
        """The body read for ``served`` (None: not loaded yet); one with more than
        ``PROCESS_BODY_BYTES`` to parse (``parsed``, by default all of it) in a decoder process,
        whose rows come back encoded for ``served`` (``EncodedBatch``)."""
        decoder = self._decoder
        heavy = (len(body) if parsed is None else parsed) > PROCESS_BODY_BYTES
        if heavy and served is not None and decoder is not None and decoder.enabled:
            envelope, batch = await decoder.decode(partial(without_rows, read), body, served)
            decoded: Decoded = replace(envelope, batch=batch)
            return decoded
        return await decode_body(read, body, None if served is None else served.model.manifest.schema)

    async def infer(self, codec: Codec, request: InferenceRequest) -> InferenceResponse:
        """Raises ``UnsupportedMediaType``, ``InvalidInput``, ``PayloadTooLarge``,
        ``ModelNotFound``, ``ModelUnavailable``, ``DecoderUnavailable``."""
        media = negotiated(request.content_type, codec.content_types) if codec.content_types else ""
        read = codec.decode(request, media)
        await self.models.maybe_refresh(request.model)  # where no background task looks (Lambda)
        if request.model is None:
            served = self.models.default()
        else:
            served = self.models.get(request.model, request.version)
        decoded = await self.decode(read, request.body, served, codec.parsed_bytes(request))
        result = await self._predict(decoded.batch, decoded.options, decoded.where, served)
        if decoded.leniencies or result.leniencies:
            self._lenient.record(decoded.leniencies | result.leniencies)
        request_id = decoded.id or request.request_id
        if len(result.scores) > INLINE_ROWS:
            encoded = await anyio.to_thread.run_sync(codec.encode, result, decoded, request_id)
        else:
            encoded = codec.encode(result, decoded, request_id)
        name = request.model or self.models.default_name
        if self._shadows:  # offered once the answer is built; the shadow never waits on it
            shadow = self._shadows.get(name)
            if shadow is not None:
                shadow.offer(result, decoded.batch)
        if self._capture is not None:  # a copy of the rows on a queue: the writer is elsewhere
            self._capture(name, result, request_id)
        version = result.model.version.version
        return InferenceResponse(encoded.body, encoded.media_type, version, protocol_headers=encoded.headers)
