"""Compressed request bodies: ``Content-Encoding: gzip`` or ``deflate`` is decompressed as it
arrives, on every channel (HTTP and Lambda alike), as MLServer accepts them.

The body limit (``PREDICTOR_MAX_BODY_BYTES``) applies to the decompressed bytes, and the
decompressor never produces more than one byte past it: a decompression bomb gets 413 after
reading a few kilobytes, not after expanding. A compressed body that cannot be decompressed is
a 400 problem; any other coding (``br``, ``zstd``, several codings stacked) is a 415 problem
naming it.
"""

from __future__ import annotations

import zlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from predictor.domain.errors import FieldError, InvalidInput, PayloadTooLarge
from predictor.entrypoints.http.middleware import request_state
from predictor.entrypoints.http.problems import UNSUPPORTED_MEDIA_TYPE, problem_response

_CONTENT_ENCODING = b"content-encoding"
_CONTENT_LENGTH = b"content-length"
_IDENTITY = "identity"
# zlib's window bits: gzip's header and trailer, or zlib's (HTTP's "deflate").
_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
ACCEPTED = "gzip, deflate, identity"


def _codings(scope: Scope) -> list[str]:
    found: list[str] = []
    for name, value in scope["headers"]:
        if name == _CONTENT_ENCODING:
            found += [c.strip().lower() for c in value.decode("latin-1").split(",") if c.strip()]
    return [coding for coding in found if coding != _IDENTITY]


def _not_decompressible(coding: str, exc: zlib.error) -> InvalidInput:
    message = f"the request body is not valid {coding} data ({exc}); send it whole, or uncompressed"
    return InvalidInput([FieldError(None, None, message)], summary=message)


class _Decompressing:
    """A ``receive`` that hands the app decompressed chunks, at most ``max_bytes`` of them."""

    def __init__(self, receive: Receive, coding: str, max_bytes: int) -> None:
        self._receive = receive
        self._coding = coding
        self._max_bytes = max_bytes
        self._inflater = zlib.decompressobj(_WBITS[coding])
        self._produced = 0

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        try:
            body = self._inflate(message.get("body", b""), more=message.get("more_body", False))
        except zlib.error as exc:
            raise _not_decompressible(self._coding, exc) from None
        return {**message, "body": body}

    def _inflate(self, chunk: bytes, *, more: bool) -> bytes:
        room = self._max_bytes - self._produced + 1  # one byte past the limit tells it was passed
        if self._inflater.eof and chunk:
            raise zlib.error("data follows the end of the compressed stream")
        body = self._inflater.decompress(chunk, room)
        if self._inflater.unused_data:
            raise zlib.error("data follows the end of the compressed stream")
        if not more and len(body) < room:
            body += self._inflater.flush()
            if not self._inflater.eof:
                raise zlib.error("the compressed stream ends early")
        self._produced += len(body)
        if self._produced > self._max_bytes:
            raise PayloadTooLarge(
                f"the decompressed request body is larger than the limit of {self._max_bytes} bytes; "
                "send fewer rows per request",
                limit=self._max_bytes,
                actual=self._produced,
            )
        return body


class ContentEncodingMiddleware:
    """Decompresses gzip and deflate request bodies; refuses other codings (RFC 9110 §15.5.16).

    It sits outside the body limit, which then counts decompressed bytes as they arrive."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        codings = _codings(scope) if scope["type"] == "http" else []
        if not codings:
            await self.app(scope, receive, send)
            return
        if len(codings) == 1 and codings[0] in _WBITS:
            # The length sent is the compressed one; the app reads the decompressed body.
            scope["headers"] = [
                (n, v) for n, v in scope["headers"] if n not in (_CONTENT_ENCODING, _CONTENT_LENGTH)
            ]
            await self.app(scope, _Decompressing(receive, codings[0], self.max_bytes), send)
            return
        detail = (
            f"request bodies with Content-Encoding {', '.join(codings)!r} are not accepted; "
            f"send it as one of {ACCEPTED}"
        )
        response = problem_response(
            UNSUPPORTED_MEDIA_TYPE,
            detail,
            instance=scope["path"],
            request_id=request_state(scope).get("request_id"),
            headers={"Accept-Encoding": ACCEPTED},
        )
        await response(scope, receive, send)
