"""Transport security: the security headers every response carries, and HTTPS on request.

Pure ASGI, inside the request-id layer, so every response (errors, 413s before parsing, 500s,
CORS preflights) gets the headers.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from predictor.entrypoints.http.middleware import request_state, response_headers
from predictor.entrypoints.http.problems import HTTPS_REQUIRED, problem_response


def security_headers(hsts: bool) -> list[tuple[bytes, bytes]]:
    """The headers every response carries unless it set its own (the docs pages set their CSP
    and the docs assets their caching): nothing cached, sniffed, framed or referred."""
    headers = [
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


class SecurityHeadersMiddleware:
    """Adds ``security_headers`` to every response; with ``require_https``, refuses plain HTTP
    (403 ``https-required``) on every route but the health checks, which load balancers make
    over plain HTTP. The scheme is the connection's, or a trusted proxy's X-Forwarded-Proto."""

    def __init__(self, app: ASGIApp, hsts: bool, require_https: bool, open_prefixes: tuple[str, ...]) -> None:
        self.app = app
        self._headers = security_headers(hsts)
        self._require_https = require_https
        self._open_prefixes = open_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = response_headers(message)
                present = {name.lower() for name, _ in headers}
                headers.extend(header for header in self._headers if header[0] not in present)
            await send(message)

        if (
            self._require_https
            and scope.get("scheme") != "https"
            and not scope["path"].startswith(self._open_prefixes)
        ):
            response = problem_response(
                HTTPS_REQUIRED,
                "this service answers over HTTPS only; send the request to its https:// address",
                instance=scope["path"],
                request_id=request_state(scope).get("request_id"),
            )
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)
