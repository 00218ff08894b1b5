"""The transport-neutral serving core, in the manner of MLServer's DataPlane.

Every channel (HTTP, Lambda, the batch CLI) hands ``ServingCore.infer`` a protocol codec
(``codecs/``) and an ``InferenceRequest`` (body bytes, content type, the headers that matter,
the model named by the channel, if any), and gets back an ``InferenceResponse``: a status, a
body and headers. Requests the core cannot answer raise the domain's errors (and
``UnsupportedMediaType``); each channel maps them once, at its edge, as DataPlane's callers
map ``MLServerError`` (HTTP: problem+json, ``entrypoints/http/errors.py``).

A body is decoded by ``decode_body``: on the event loop when small, on a worker thread when
big. That is the seam where a decoder that works in another process plugs in
(``ServingCore(body_decoder=...)``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import anyio.to_thread

from predictor.domain.errors import PredictorError
from predictor.services.serving.codecs.base import Decoded
from predictor.services.serving.loading import ServedModel
from predictor.services.serving.models import ServedModels
from predictor.services.serving.prediction import MakePrediction, PredictionResult

T = TypeVar("T")

MODEL_VERSION_HEADER = "X-Model-Version"
# Bodies up to this size are decoded on the event loop; bigger ones on a worker thread, so that
# decoding megabytes never holds up the other requests (health checks among them).
INLINE_BODY_BYTES = 64 * 1024

BodyDecoder = Callable[[Callable[[bytes], T], bytes], Awaitable[T]]


class UnsupportedMediaType(PredictorError):
    """The request's content type is not one the protocol reads (HTTP 415)."""


class Codec(Protocol):
    """One protocol: what it reads (``content_types``; empty: any), how it decodes a body for
    the model named (``schema`` of the served model, when the channel named one) and encodes
    a result. Raises ``InvalidInput`` naming the field at fault."""

    content_types: tuple[str, ...]

    def decode(
        self, request: InferenceRequest, media: str, served: ServedModel | None
    ) -> Callable[[bytes], Decoded]:
        """The function that decodes this request's body (run where ``decode_body`` says)."""
        ...

    def encode(self, result: PredictionResult, decoded: Decoded, request_id: str) -> bytes: ...


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

    @property
    def headers(self) -> dict[str, str]:
        return {MODEL_VERSION_HEADER: self.model_version}


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


async def decode_body(decode: Callable[[bytes], T], body: bytes) -> T:
    """``decode(body)``: on the event loop for a small body, on a worker thread for a big one."""
    if len(body) > INLINE_BODY_BYTES:
        return await anyio.to_thread.run_sync(decode, body)
    return decode(body)


class ServingCore:
    """Answer a prediction request in any protocol, from the models served by name."""

    def __init__(
        self,
        models: ServedModels,
        make_prediction: MakePrediction,
        body_decoder: BodyDecoder[Decoded] = decode_body,
    ) -> None:
        self.models = models
        self._predict = make_prediction
        self._decode = body_decoder

    async def infer(self, codec: Codec, request: InferenceRequest) -> InferenceResponse:
        """Raises ``UnsupportedMediaType``, ``InvalidInput``, ``PayloadTooLarge``,
        ``ModelNotFound``, ``ModelUnavailable``."""
        media = negotiated(request.content_type, codec.content_types) if codec.content_types else ""
        served = None if request.model is None else self.models.get(request.model, request.version)
        decoded = await self._decode(codec.decode(request, media, served), request.body)
        result = await self._predict(decoded.batch, decoded.options, decoded.where)
        body = codec.encode(result, decoded, decoded.id or request.request_id)
        return InferenceResponse(body, "application/json", result.model.version.version)
