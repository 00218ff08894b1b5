"""API key checks: the key a request presents (``credentials.py``: the ``X-API-Key`` header,
a bearer token or Basic credentials) against the keyrings in force (``Keyrings``).

Client keys (``PREDICTOR_API_KEYS``) open the prediction and model routes; admin keys
(``PREDICTOR_ADMIN_API_KEYS``) open the admin routes (``POST /v1/models/reload``). The two
sets are separate: a client key on an admin route gets 403, an unknown key 401. With the aws
secret store, every protected route answers 503 until the keys are first read.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from predictor.config import ADMIN_API_KEYS_SECRET, Settings
from predictor.container import Container
from predictor.domain.errors import Forbidden, TooManyRequests, Unauthorized
from predictor.entrypoints.http.credentials import API_KEY_HEADER, HOW_TO_SEND, presented_key, sends_a_key
from predictor.services.serving.keys import Keyrings
from predictor.services.serving.rate_limit import TokenBuckets

# Query parameter names (lower case, letters only) that look like a key being sent in the URL.
_KEY_LIKE_PARAMETERS = frozenset(
    {"apikey", "key", "xapikey", "accesskey", "token", "accesstoken", "authtoken", "auth", "secret"}
)
_NOT_LETTERS = re.compile(r"[^a-z]")

KEY_IN_QUERY_DETAIL = (
    "API keys are not accepted in the query string, where they end up in logs and browser history; "
    f"{HOW_TO_SEND}, and rotate any key that was sent in a URL's query"
)


def load_keyrings(container: Container) -> Keyrings:
    """The keys in force. The env store's are read now: with no API key an app would serve
    predictions to anyone, so that is a ``ConfigurationError``. With no admin key, every admin
    route answers 403. Later reads (Secrets Manager's) run on a thread, off the event loop."""
    keyrings: Keyrings = container.keyrings()
    return keyrings.read_in_background()


@dataclass(frozen=True)
class Brakes:
    """Failed authentications per client address, and requests per API key (each optional)."""

    failures: TokenBuckets | None
    per_key: TokenBuckets | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Brakes:
        failures = per_key = None
        if settings.security.auth_failure_burst:
            failures = TokenBuckets(
                settings.security.auth_failure_burst, settings.security.auth_failure_rate_per_s
            )
        if settings.security.key_rate_per_s:
            per_key = TokenBuckets(settings.security.key_burst, settings.security.key_rate_per_s)
        return cls(failures, per_key)


def _address(request: Request) -> str:
    # The peer, or the client a trusted proxy names (PREDICTOR_TRUSTED_PROXIES).
    return request.client.host if request.client is not None else "unknown"


def _too_many(reason: str, wait: float) -> TooManyRequests:
    seconds = max(1, math.ceil(wait))
    return TooManyRequests(f"{reason}; try again in {seconds} s", retry_after=seconds)


def _refuse_if_braked(request: Request) -> None:
    """An address that failed to authenticate too often is refused before its key is even
    looked at, so that a guess that would succeed is refused too."""
    failures = request.app.state.brakes.failures
    if failures is not None:
        wait = failures.wait(_address(request), time.monotonic())
        if wait:
            raise _too_many("too many failed authentications from this address", wait)


def _failed(request: Request) -> None:
    failures = request.app.state.brakes.failures
    if failures is not None:
        failures.take(_address(request), time.monotonic())


def _within_key_rate(request: Request, key_id: str) -> None:
    per_key = request.app.state.brakes.per_key
    if per_key is not None:
        wait = per_key.take(key_id, time.monotonic())
        if wait:
            raise _too_many("this API key is over its request rate (PREDICTOR_KEY_RATE_PER_S)", wait)


def _has_key_in_query(request: Request) -> bool:
    if not request.scope.get("query_string"):  # most requests: no query string to parse
        return False
    return any(_NOT_LETTERS.sub("", name.lower()) in _KEY_LIKE_PARAMETERS for name in request.query_params)


def _checked(request: Request, presented: str | None) -> str:
    # Refused even when the header is right: a key in a URL is a leaked key.
    if _has_key_in_query(request):
        raise Unauthorized(KEY_IN_QUERY_DETAIL)
    _refuse_if_braked(request)
    keyrings: Keyrings = request.app.state.keyrings
    keyring = keyrings.current().clients
    try:
        key_id = keyring.check(presented)
    except Unauthorized:
        _failed(request)
        raise
    request.state.key_id = key_id
    _within_key_rate(request, key_id)
    return key_id


class KeyHeader(APIKeyHeader):
    """FastAPI's API key header scheme, so /openapi.json documents it and Swagger UI can send it,
    that checks the key itself: one dependency per request, not a scheme and a checker.
    ``auto_error=False``: the domain's ``Unauthorized`` (and the error table) answers instead."""

    def __init__(
        self, check: Callable[[Request, str | None], str], *, scheme_name: str, description: str
    ) -> None:
        super().__init__(
            name=API_KEY_HEADER, scheme_name=scheme_name, description=description, auto_error=False
        )
        self._check = check

    async def __call__(self, request: Request) -> str:  # type: ignore[override]  # never None: it raises
        return self._check(request, presented_key(request))


async def optional_api_key(request: Request) -> str | None:
    """``require_api_key`` when a key is sent, ``None`` when none is (readiness: open, with the
    model named only to a caller with a valid key). Documented by the route (``KEY_OPTIONAL``)."""
    if not sends_a_key(request):
        return None
    return _checked(request, presented_key(request))


# Bearer and Basic are read by the same dependency, and named in the scheme's description.
ALSO_ACCEPTED = " Also accepted as 'Authorization: Bearer <key>' or as HTTP Basic credentials' password."
require_api_key = KeyHeader(
    _checked,
    scheme_name="ApiKey",
    description="One of the service's API keys (PREDICTOR_API_KEYS)." + ALSO_ACCEPTED,
)
# The dependencies of the keyed routers (``APIRouter(dependencies=[API_KEY])``).
API_KEY = Depends(require_api_key)
OptionalKeyDep = Annotated[str | None, Depends(optional_api_key)]


def _checked_admin(request: Request, presented: str | None) -> str:
    """The id of the presented admin key; ``Forbidden`` for a client key, ``Unauthorized`` otherwise."""
    if _has_key_in_query(request):
        raise Unauthorized(KEY_IN_QUERY_DETAIL)
    _refuse_if_braked(request)
    keyrings: Keyrings = request.app.state.keyrings
    keys = keyrings.current()
    admin = keys.admin
    try:
        key_id = admin.check(presented)
    except Unauthorized:
        clients = keys.clients
        try:
            clients.check(presented)
        except Unauthorized:
            _failed(request)
            raise  # no key, or a key of neither kind
        configured = "" if len(admin) else f" (none is configured: set {ADMIN_API_KEYS_SECRET})"
        raise Forbidden(
            f"this route needs an admin key{configured}; a client API key is not enough"
        ) from None
    request.state.key_id = key_id
    return key_id


require_admin_key = KeyHeader(
    _checked_admin,
    scheme_name="AdminApiKey",
    description="One of the service's admin keys (PREDICTOR_ADMIN_API_KEYS)." + ALSO_ACCEPTED,
)
ADMIN_KEY = Depends(require_admin_key)
AdminKeyDep = Annotated[str, ADMIN_KEY]
