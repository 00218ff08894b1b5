"""Domain and HTTP errors -> RFC 9457 ``application/problem+json`` responses, in one table.

Every error the service answers is mapped here (its problem types and response:
``problems.py``), so no exception text of an unexpected error reaches a client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from predictor.domain.errors import (
    DecoderUnavailable,
    FieldError,
    Forbidden,
    InputDoesNotFitSchema,
    InvalidInput,
    KeysUnavailable,
    MediaTypeUnavailable,
    ModelConflict,
    ModelNotFound,
    ModelRefused,
    ModelUnavailable,
    NoEarlierVersion,
    PayloadTooLarge,
    PredictorError,
    TooManyRequests,
    Unauthorized,
)
from predictor.entrypoints.http.problems import (
    DECODER_UNAVAILABLE,
    FORBIDDEN,
    INPUT_DOES_NOT_FIT_SCHEMA,
    INVALID_INPUT,
    KEYS_UNAVAILABLE,
    METHOD_NOT_ALLOWED,
    MODEL_CONFLICT,
    MODEL_NOT_FOUND,
    MODEL_REFUSED,
    MODEL_UNAVAILABLE,
    NO_EARLIER_VERSION,
    NOT_FOUND,
    PAYLOAD_TOO_LARGE,
    TOO_MANY_REQUESTS,
    UNAUTHORIZED,
    UNSUPPORTED_MEDIA_TYPE,
    ProblemResponse,
    ProblemType,
    internal_error_response,
    problem_response,
)
from predictor.services.serving.codecs.base import UnsupportedMediaType

# The one table: domain error class -> problem type. Looked up along the exception's MRO.
DOMAIN_PROBLEMS: Final[Mapping[type[PredictorError], ProblemType]] = {
    InvalidInput: INVALID_INPUT,
    InputDoesNotFitSchema: INPUT_DOES_NOT_FIT_SCHEMA,
    MediaTypeUnavailable: UNSUPPORTED_MEDIA_TYPE,
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
    ModelConflict: MODEL_CONFLICT,
    UnsupportedMediaType: UNSUPPORTED_MEDIA_TYPE,
}

_HTTP_PROBLEMS: Final[Mapping[int, ProblemType]] = {
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    415: UNSUPPORTED_MEDIA_TYPE,
}


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
