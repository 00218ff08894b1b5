"""RFC 9457 problem types and the ``application/problem+json`` response every error answer is.

The stable ``type`` URIs, titles and statuses live here; which error gets which problem is the
error table's (``errors.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import orjson
from starlette.responses import Response

from predictor.domain.errors import FieldError

PROBLEM_BASE = "https://predictor.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# How long a client should wait before asking again while no model is loaded.
RETRY_AFTER_SECONDS = "5"


@dataclass(frozen=True, slots=True)
class ProblemType:
    status: int
    slug: str
    title: str
    # The code ``mlflow models serve`` would give (its ``databricks_pb2.ErrorCode`` names), for
    # MLflow's clients, which read ``error_code`` and ``message`` from /invocations errors.
    mlflow_code: str = "BAD_REQUEST"

    @property
    def uri(self) -> str:
        return PROBLEM_BASE + self.slug


INVALID_INPUT = ProblemType(400, "invalid-input", "Invalid input")
# The same problem to a client; MLflow's code for rows that parse but miss the signature.
INPUT_DOES_NOT_FIT_SCHEMA = ProblemType(400, "invalid-input", "Invalid input", "INVALID_PARAMETER_VALUE")
UNAUTHORIZED = ProblemType(401, "unauthorized", "Unauthorized", "UNAUTHENTICATED")
FORBIDDEN = ProblemType(403, "forbidden", "Forbidden", "PERMISSION_DENIED")
HTTPS_REQUIRED = ProblemType(403, "https-required", "HTTPS required", "PERMISSION_DENIED")
MODEL_NOT_FOUND = ProblemType(404, "model-not-found", "Model not found", "RESOURCE_DOES_NOT_EXIST")
NOT_FOUND = ProblemType(404, "not-found", "Not found", "ENDPOINT_NOT_FOUND")
METHOD_NOT_ALLOWED = ProblemType(405, "method-not-allowed", "Method not allowed")
REQUEST_TIMEOUT = ProblemType(
    408, "request-timeout", "Request timeout", "DEADLINE_EXCEEDED"
)  # the connection guard's
MODEL_REFUSED = ProblemType(409, "model-refused", "Model version refused", "INVALID_STATE")
NO_EARLIER_VERSION = ProblemType(409, "no-earlier-version", "No earlier version", "INVALID_STATE")
MODEL_CONFLICT = ProblemType(409, "model-conflict", "Served models conflict", "RESOURCE_ALREADY_EXISTS")
PAYLOAD_TOO_LARGE = ProblemType(413, "payload-too-large", "Payload too large")
UNSUPPORTED_MEDIA_TYPE = ProblemType(415, "unsupported-media-type", "Unsupported media type")
TOO_MANY_REQUESTS = ProblemType(429, "too-many-requests", "Too many requests", "REQUEST_LIMIT_EXCEEDED")
INTERNAL_ERROR = ProblemType(500, "internal-error", "Internal server error", "INTERNAL_ERROR")
MODEL_UNAVAILABLE = ProblemType(503, "model-unavailable", "Model unavailable", "TEMPORARILY_UNAVAILABLE")
DECODER_UNAVAILABLE = ProblemType(
    503, "decoder-unavailable", "Decoder unavailable", "TEMPORARILY_UNAVAILABLE"
)
KEYS_UNAVAILABLE = ProblemType(503, "keys-unavailable", "API keys unavailable", "TEMPORARILY_UNAVAILABLE")
TOO_MANY_CONNECTIONS = ProblemType(
    503, "too-many-connections", "Too many connections", "TEMPORARILY_UNAVAILABLE"
)  # likewise

# Open Inference Protocol (KServe V2) clients read the message of an error from "error"; MLflow's
# clients read "error_code" and "message" on its scoring route.
_V2 = "/v2"
_MLFLOW = "/invocations"

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
    if _under(instance, _V2):
        body["error"] = detail
    elif _under(instance, _MLFLOW):
        body["error_code"] = problem.mlflow_code
        body["message"] = detail
    merged = dict(_EXTRA_HEADERS.get(problem.status, {}))
    merged.update(headers or {})
    return ProblemResponse(body, status_code=problem.status, headers=merged)


def _under(instance: str, prefix: str) -> bool:
    return instance == prefix or instance.startswith(prefix + "/")


def internal_error_response(instance: str, request_id: str | None) -> ProblemResponse:
    return problem_response(INTERNAL_ERROR, INTERNAL_DETAIL, instance=instance, request_id=request_id)
