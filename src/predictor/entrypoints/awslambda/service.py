"""The Lambda service: Lambda's default settings, the container and the model built once at
init, and Mangum over the same FastAPI app ``predictor serve`` runs.

Mangum runs with lifespan off (it would run the lifespan on every event, Kludex/mangum#342):
the model is loaded here, at init, by the keeper's first look, and refreshed by the serving
core's time-to-live check on a request (``PREDICTOR_REFRESH=on_request``), since a frozen
function runs no background task. Metrics are flushed at the end of every invocation (EMF lines
on stdout: no API call), and captured requests that are due (a full batch, or one older than
``PREDICTOR_CAPTURE_INTERVAL_S``) are written then too (docs/capture.md#aws-lambda).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog
from dependency_injector import providers
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from starlette.types import ASGIApp, Receive, Scope, Send

from predictor.config import RefreshMode, Settings, load_settings
from predictor.container import Container, build_container
from predictor.entrypoints.awslambda.model_source import is_remote, model_dir_at_init
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.problems import PROBLEM_MEDIA_TYPE
from predictor.entrypoints.logging import configure_logging

log = logging.getLogger(__name__)

# Where Lambda unpacks a zip (it sets LAMBDA_TASK_ROOT), and the baked model's folder in it.
DEFAULT_TASK_ROOT = "/var/task"
BAKED_MODEL_FOLDER = "model"
# Bodies Mangum answers as text, not base64: its defaults (JSON among them) and problem+json.
TEXT_MEDIA_TYPES = [*DEFAULT_TEXT_MIME_TYPES, PROBLEM_MEDIA_TYPE]
_TRACKING_VARIABLES = ("PREDICTOR_MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI")


def baked_model_dir(environ: Mapping[str, str]) -> Path:
    """``$LAMBDA_TASK_ROOT/model``: the exported directory baked into the artifact."""
    return Path(environ.get("LAMBDA_TASK_ROOT", DEFAULT_TASK_ROOT)) / BAKED_MODEL_FOLDER


def lambda_defaults(environ: Mapping[str, str]) -> dict[str, object]:
    """Lambda's defaults for the settings ``environ`` leaves unset: refresh on request, JSON
    logs, and the baked model as the served model, or (with a registry configured) as its
    fallback when the registry is unreachable at init."""
    named = {name.upper() for name in environ}
    defaults: dict[str, object] = {}
    if "PREDICTOR_REFRESH" not in named:
        defaults["refresh"] = RefreshMode.ON_REQUEST
    if "PREDICTOR_LOG_JSON" not in named:
        defaults["log_json"] = True
    baked = baked_model_dir(environ)
    if "PREDICTOR_MODEL_DIR" not in named:
        if not named & set(_TRACKING_VARIABLES):
            defaults["model_dir"] = baked
        elif "PREDICTOR_FALLBACK_MODEL_DIR" not in named and baked.is_dir():
            defaults["fallback_model_dir"] = baked
    return defaults


def lambda_settings(environ: Mapping[str, str]) -> Settings:
    """The settings from the environment, with ``lambda_defaults`` for what it leaves unset."""
    return load_settings(**lambda_defaults(environ))


def _body_length(event: Mapping[str, Any]) -> int:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return len(body.encode())
    return len(body) // 4 * 3 - body[-2:].count("=")


class DeclaredLength:
    """Gives a request without ``Content-Length`` its body's length, known whole in the event,
    so the body limit refuses an oversized body before anything else, as it does over HTTP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        event = scope.get("aws.event")
        if scope["type"] == "http" and event is not None:
            headers = list(scope["headers"])
            if not any(name == b"content-length" for name, _ in headers):
                headers.append((b"content-length", str(_body_length(event)).encode("latin-1")))
                scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def _without_shadow(container: Container) -> None:
    """A frozen function runs no worker between invocations, and scoring the shadow before an
    invocation returns would add its time to the client's: no shadow is run on Lambda, neither
    PREDICTOR_SHADOW_MODEL nor an entry's own."""
    settings = container.settings()
    shadow = settings.shadow.shadow_model
    entries = [spec.name for spec in settings.serving.specs() if spec.shadow is not None]
    if shadow is not None or entries:
        log.warning(
            "PREDICTOR_SHADOW_MODEL and the shadows of PREDICTOR_MODELS entries are ignored on "
            "AWS Lambda: no shadow runs (docs/shadow.md)",
            extra={"shadow": shadow, "entries_with_a_shadow": entries},
        )
    container.shadows.override(providers.Object({}))


class LambdaService:
    """One function instance's service: ``service(event, context)`` answers one API Gateway
    (REST v1, HTTP API v2) or ALB event. Building it loads the model (blocking, once)."""

    def __init__(self, container: Container) -> None:
        self.container = container
        _without_shadow(container)
        self.app = create_app(container)
        self.keeper = container.model_keeper()
        self.keeper.start()  # a failed load is retried by the first request after the backoff
        self._publisher = container.publish_metrics()
        self._capture = container.write_captured()
        self._adapter = Mangum(DeclaredLength(self.app), lifespan="off", text_mime_types=TEXT_MEDIA_TYPES)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> LambdaService:
        settings = lambda_settings(environ)
        configure_logging(json=settings.logging.log_json, level=settings.logging.log_level, only=True)
        source = environ.get("PREDICTOR_MODEL_DIR", "")
        if is_remote(source):  # an export in S3: fetched once, here at init
            fetching = build_container(settings)
            fetched = model_dir_at_init(
                source, fetching.adapters.artifacts(), baked_model_dir(environ), fetching.alerts
            )
            settings = load_settings(**{**lambda_defaults(environ), "model_dir": fetched})
        return cls(build_container(settings))

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        served = self.container.slot().peek()
        # Every line of the invocation (a stack trace among them) names the invocation and model.
        with structlog.contextvars.bound_contextvars(
            aws_request_id=getattr(context, "aws_request_id", None),
            model=str(self.keeper.ref),
            model_version=served.version.version if served is not None else None,
        ):
            try:
                answer: dict[str, Any] = self._adapter(event, context)
            finally:
                if self._capture is not None:
                    self._capture.write_due()
                self._publisher.flush()
        return answer
