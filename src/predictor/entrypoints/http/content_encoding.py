"""Request bodies are read as sent: a compressed body (``Content-Encoding: gzip`` …) gets a
415 problem naming the encoding, on every channel (HTTP and Lambda alike), instead of a JSON
parse error about its bytes. Decompressing would let a small body expand past the body limit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from predictor.entrypoints.http.middleware import request_state
from predictor.entrypoints.http.problems import UNSUPPORTED_MEDIA_TYPE, problem_response

_CONTENT_ENCODING = b"content-encoding"
_IDENTITY = "identity"


def _codings(scope: Scope) -> list[str]:
    found: list[str] = []
    for name, value in scope["headers"]:
        if name == _CONTENT_ENCODING:
            found += [c.strip().lower() for c in value.decode("latin-1").split(",") if c.strip()]
    return [coding for coding in found if coding != _IDENTITY]


class ContentEncodingMiddleware:
    """Refuses request bodies with a content coding other than ``identity`` (RFC 9110 §15.5.16)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        codings = _codings(scope) if scope["type"] == "http" else []
        if not codings:
            await self.app(scope, receive, send)
            return
        detail = (
            f"request bodies with Content-Encoding {', '.join(codings)!r} are not accepted; "
            "send the body uncompressed (without a Content-Encoding header)"
        )
        response = problem_response(
            UNSUPPORTED_MEDIA_TYPE,
            detail,
            instance=scope["path"],
            request_id=request_state(scope).get("request_id"),
            headers={"Accept-Encoding": _IDENTITY},
        )
        await response(scope, receive, send)
