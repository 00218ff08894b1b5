"""Where a request may carry its API key: the ``X-API-Key`` header, ``Authorization: Bearer <key>``,
or HTTP Basic credentials with the key as the password (or as the user name, with no password).

Basic is for clients that cannot send a header but take credentials in the URL, as MLflow's
``ScoringServerClient`` does: ``http://any:KEY@host:port`` (``requests`` turns it into Basic).
``X-API-Key`` wins when a request sends more than one. Nothing here logs; callers never log the
key either, only its id (``auth.key_id``).
"""

from __future__ import annotations

import binascii
from base64 import b64decode

from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import Request

from predictor.domain.errors import Unauthorized

API_KEY_HEADER = "X-API-Key"
AUTHORIZATION = "Authorization"
HOW_TO_SEND = (
    f"send it in the {API_KEY_HEADER} header, as 'Authorization: Bearer <key>', "
    "or as the password of HTTP Basic credentials"
)
_NOT_BASIC = "the Authorization header's Basic credentials are not base64 of 'user:key'"


def sends_a_key(request: Request) -> bool:
    """Whether the request carries credentials at all (a wrong key is still a key)."""
    return API_KEY_HEADER in request.headers or AUTHORIZATION in request.headers


def presented_key(request: Request) -> str | None:
    """The key the request presents, ``None`` when it presents none; ``Unauthorized`` for Basic
    credentials that cannot be read."""
    header = request.headers.get(API_KEY_HEADER)
    if header is not None:
        return header
    scheme, credentials = get_authorization_scheme_param(request.headers.get(AUTHORIZATION))
    scheme = scheme.lower()
    if scheme == "bearer":
        return credentials or None
    if scheme == "basic":
        return _basic_key(credentials)
    return None


def _basic_key(credentials: str) -> str | None:
    try:
        decoded = b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(_NOT_BASIC) from None
    user, separator, password = decoded.partition(":")
    if not separator:
        raise Unauthorized(_NOT_BASIC)
    return password or user or None
