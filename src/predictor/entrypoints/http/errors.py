"""Domain and HTTP errors -> RFC 9457 ``application/problem+json`` responses, in one table.

Every error response the service sends is built here, so the ``type`` URIs, titles and
statuses stay stable and no exception text of an unexpected error reaches a client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from predictor.domain.errors import (
    DecoderUnavailable,
    FieldError,
    Forbidden,
    InvalidInput,
    KeysUnavailable,
    ModelNotFound,
    ModelRefused,
    ModelUnavailable,
    NoEarlierVersion,
    PayloadTooLarge,
    PredictorError,
    TooManyRequests,
    Unauthorized,
)
from predictor.services.serving.core import UnsupportedMediaType

PROBLEM_BASE = "https://predictor.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# How long a client should wait before asking again while no model is loaded.
RETRY_AFTER_SECONDS = "5"


@dataclass(frozen=True, slots=True)
class ProblemType:
    status: int
    slug: str
    title: str

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


INVALID_INPUT = ProblemType(400, "invalid-input", "Invalid input")
UNAUTHORIZED = ProblemType(401, "unauthorized", "Unauthorized")
FORBIDDEN = ProblemType(403, "forbidden", "Forbidden")
HTTPS_REQUIRED = ProblemType(403, "https-required", "HTTPS required")
MODEL_NOT_FOUND = ProblemType(404, "model-not-found", "Model not found")
NOT_FOUND = ProblemType(404, "not-found", "Not found")
METHOD_NOT_ALLOWED = ProblemType(405, "method-not-allowed", "Method not allowed")
REQUEST_TIMEOUT = ProblemType(408, "request-timeout", "Request timeout")  # the connection guard's
MODEL_REFUSED = ProblemType(409, "model-refused", "Model version refused")
NO_EARLIER_VERSION = ProblemType(409, "no-earlier-version", "No earlier version")
PAYLOAD_TOO_LARGE = ProblemType(413, "payload-too-large", "Payload too large")
UNSUPPORTED_MEDIA_TYPE = ProblemType(415, "unsupported-media-type", "Unsupported media type")
TOO_MANY_REQUESTS = ProblemType(429, "too-many-requests", "Too many requests")
INTERNAL_ERROR = ProblemType(500, "internal-error", "Internal server error")
MODEL_UNAVAILABLE = ProblemType(503, "model-unavailable", "Model unavailable")
DECODER_UNAVAILABLE = ProblemType(503, "decoder-unavailable", "Decoder unavailable")
KEYS_UNAVAILABLE = ProblemType(503, "keys-unavailable", "API keys unavailable")
TOO_MANY_CONNECTIONS = ProblemType(503, "too-many-connections", "Too many connections")  # likewise

# The one table: domain error class -> problem type. Looked up along the exception's MRO.
DOMAIN_PROBLEMS: Final[Mapping[type[PredictorError], ProblemType]] = {
    InvalidInput: INVALID_INPUT,
    PayloadTooLarge: PAYLOAD_TOO_LARGE,
    Unauthorized: UNAUTHORIZED,
    Forbidden: FORBIDDEN,
    TooManyRequests: TOO_MANY_REQUESTS,
    ModelNotFound: MODEL_NOT_FOUND,
    ModelUnavailable: MODEL_UNAVAILABLE,
    DecoderUnavailable: DECODER_UNAVAILABLE,
    KeysUnavailable: KEYS_UNAVAILABLE,
    ModelRefused: MODEL_REFUSED,
    NoEarlierVersion: NO_EARLIER_VERSION,
    UnsupportedMediaType: UNSUPPORTED_MEDIA_TYPE,
}

_HTTP_PROBLEMS: Final[Mapping[int, ProblemType]] = {
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    415: UNSUPPORTED_MEDIA_TYPE,
}
# Open Inference Protocol (KServe V2) clients read the message of an error from "error".
_V2_PREFIX = "/v2/"

_EXTRA_HEADERS: Final[Mapping[int, Mapping[str, str]]] = {
    401: {"WWW-Authenticate": "ApiKey"},
    503: {"Retry-After": RETRY_AFTER_SECONDS},
}

INTERNAL_DETAIL = (
    "an unexpected error occurred on the server; it has been logged — quote the request_id if you report it"
)


class ProblemResponse(Response):
    media_type = PROBLEM_MEDIA_TYPE

    def render(self, content: object) -> bytes:
        return orjson.dumps(content)


def problem_response(
    problem: ProblemType,
    detail: str,
    *,
    instance: str,
    request_id: str | None,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """The problem+json response for ``problem``; ``detail`` must be safe to show a client."""
    body: dict[str, object] = {
        "type": problem.uri,
        "title": problem.title,
        "status": problem.status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if errors is not None:
        body["errors"] = [error.as_dict() for error in errors]
    if instance.startswith(_V2_PREFIX):
        body["error"] = detail
    merged = dict(_EXTRA_HEADERS.get(problem.status, {}))
    merged.update(headers or {})
    return ProblemResponse(body, status_code=problem.status, headers=merged)


def problem_for(error: PredictorError) -> ProblemType | None:
    for cls in type(error).__mro__:
        problem = DOMAIN_PROBLEMS.get(cls)
        if problem is not None:
            return problem
    return None


def _request_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def domain_error_response(request: Request, error: PredictorError) -> ProblemResponse:
    problem = problem_for(error)
    if problem is None:
        # A domain error with no meaning for a client (configuration, data, a bad model
        # directory) is the server's fault; its text may name internal paths.
        structlog.get_logger(__name__).error("domain error with no HTTP mapping", exc_info=error)
        return internal_error_response(request.url.path, _request_id(request))
    errors = error.errors if isinstance(error, InvalidInput) else None
    detail = error.summary if isinstance(error, InvalidInput) else str(error)
    headers = {"Retry-After": str(round(error.retry_after))} if isinstance(error, TooManyRequests) else None
    return problem_response(
        problem,
        detail,
        instance=request.url.path,
        request_id=_request_id(request),
        errors=errors,
        headers=headers,
    )


def internal_error_response(instance: str, request_id: str | None) -> ProblemResponse:
    return problem_response(INTERNAL_ERROR, INTERNAL_DETAIL, instance=instance, request_id=request_id)


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PredictorError)  # noqa: S101  # registered for PredictorError only
    return domain_error_response(request, exc)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101  # registered for HTTPException only
    return http_error_response(request, exc)


def http_error_response(request: Request, exc: StarletteHTTPException) -> ProblemResponse:
    """The problem for an HTTP error a route raised (404, 405, 415 …)."""
    problem = _HTTP_PROBLEMS.get(exc.status_code)
    if problem is None:
        problem = ProblemType(exc.status_code, f"http-{exc.status_code}", "HTTP error")
    if exc.status_code == 404:
        detail = f"there is no route {request.url.path!r}; see /docs for the routes this service has"
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        detail = f"{request.method} is not allowed on {request.url.path}; use {allowed or 'another method'}"
    else:
        detail = str(exc.detail)
    return problem_response(
        problem, detail, instance=request.url.path, request_id=_request_id(request), headers=exc.headers
    )


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101  # registered for it only
    errors = [
        FieldError(None, ".".join(str(part) for part in error.get("loc", ())) or None, str(error.get("msg")))
        for error in exc.errors()
    ]
    return problem_response(
        INVALID_INPUT,
        InvalidInput(errors).summary,
        instance=request.url.path,
        request_id=_request_id(request),
        errors=errors,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, unknown routes / methods and request validation to problem+json.

    Unexpected exceptions are not handled here: ``middleware.CatchAllMiddleware`` turns them
    into a 500 problem and logs the stack trace, inside the CORS layer.
    """
    app.add_exception_handler(PredictorError, _on_domain_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
