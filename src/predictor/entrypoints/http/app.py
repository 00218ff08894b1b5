"""The FastAPI app factory: routers, error table, middleware and start-up loading, from a container."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from predictor.config import Profile, Settings
from predictor.container import Container
from predictor.entrypoints.http.content_encoding import ContentEncodingMiddleware
from predictor.entrypoints.http.credentials import API_KEY_HEADER
from predictor.entrypoints.http.errors import install_error_handlers
from predictor.entrypoints.http.loading import Backoff, model_loading_lifespan
from predictor.entrypoints.http.middleware import BodyLimitMiddleware, CatchAllMiddleware
from predictor.entrypoints.http.openapi import install_openapi
from predictor.entrypoints.http.request_context import REQUEST_ID_HEADER, RequestContextMiddleware
from predictor.entrypoints.http.routes import (
    explain,
    health,
    invocations,
    metrics,
    models,
    predict,
    served,
    shadow,
    v2,
)
from predictor.entrypoints.http.routes.docs import docs_router
from predictor.entrypoints.http.routes.documentation import problems
from predictor.entrypoints.http.security import Brakes, load_keyrings
from predictor.entrypoints.http.transport_security import SecurityHeadersMiddleware
from predictor.services.serving.auth import ModelScopes
from predictor.services.serving.core import MODEL_VERSION_HEADER

DESCRIPTION = (
    "Predictions from the model registered as `PREDICTOR_MODEL_NAME@PREDICTOR_MODEL_ALIAS`, "
    "or from each model `PREDICTOR_MODELS` lists, by name. "
    f"Send one of the service's API keys in the `{API_KEY_HEADER}` header "
    "(or as `Authorization: Bearer <key>`, or as HTTP Basic credentials' password). "
    "Errors are RFC 9457 problem details (`application/problem+json`)."
)

# Health checks stay open over plain HTTP when HTTPS is required: load balancers make them so.
HEALTH_PREFIXES = ("/health", "/ping", "/v2/health/")
# One router per protocol, in the order of the document.
ROUTERS = (
    predict.router,
    explain.router,
    invocations.router,
    v2.router,
    models.router,
    served.router,
    shadow.router,
    health.router,
)


def _package_version() -> str:
    try:
        return version("predictor")
    except PackageNotFoundError:
        return "0+unknown"


def create_app(container: Container, *, load_backoff: Backoff | None = None) -> FastAPI:
    """The HTTP service over ``container``.

    Reads the API keys (from the env store once, raising ``ConfigurationError`` when there are
    none; from Secrets Manager every TTL, answering 503 until a read succeeds) and the
    served reference (raising ``InvalidModel`` for a model directory that was not exported) and its
    shadow's (``ConfigurationError`` for a registry shadow of an exported model);
    the model is loaded at start-up (lifespan), with retries every ``load_backoff`` until it
    loads, then follows its alias every ``PREDICTOR_RELOAD_INTERVAL_S`` seconds (the container's
    ``ModelKeeper``: from a background task, or from requests with ``PREDICTOR_REFRESH=on_request``).
    """
    settings = container.settings()
    if load_backoff is not None:
        container.load_backoff.override(load_backoff)
    keyrings = load_keyrings(container)
    container.model_ref()
    container.served_models()  # every model's keeper: InvalidModel for a directory not exported
    container.shadows()  # a shadow that cannot be built stops the start-up (ConfigurationError)
    container.write_captured()  # a capture store that cannot be made fails the start
    app = FastAPI(
        title="predictor",
        version=_package_version(),
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=model_loading_lifespan(container),
        # FastAPI's native OpenTelemetry asked the global providers on every request;
        # the service has its own access log and metrics (docs/api.md).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.container = container
    app.state.keyrings = keyrings
    app.state.brakes = Brakes.from_settings(settings)
    app.state.model_scopes = ModelScopes(settings.security.key_scopes)
    install_error_handlers(app)
    install_openapi(app, container)
    _include_routers(app, settings)
    _add_middleware(app, container, settings)
    return app


def _include_routers(app: FastAPI, settings: Settings) -> None:
    for router in ROUTERS:
        app.include_router(router, responses=problems(500))  # the catch-all's answer, on every route
    if settings.metrics.prometheus_enabled and settings.metrics.prometheus_port is None:
        app.include_router(metrics.router, responses=problems(500))
    if settings.http.docs_enabled:
        app.include_router(docs_router(require_key=settings.http.docs_require_key))


def _add_middleware(app: FastAPI, container: Container, settings: Settings) -> None:
    # Added innermost first: each add_middleware wraps everything added before it.
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.http.max_body_bytes)
    app.add_middleware(ContentEncodingMiddleware, max_bytes=settings.http.max_body_bytes)
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.http.cors_origins),
            allow_credentials=settings.http.cors_allow_credentials,
            allow_methods=["GET", "POST"],
            allow_headers=[API_KEY_HEADER, "Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, MODEL_VERSION_HEADER],
        )
    app.add_middleware(
        SecurityHeadersMiddleware,
        hsts=settings.profile is Profile.PROD,
        require_https=settings.security.require_https,
        open_prefixes=HEALTH_PREFIXES,
    )
    app.add_middleware(RequestContextMiddleware, slot=container.slot(), metrics=container.request_metrics())
    if settings.security.trusted_proxies:
        # The client address (for the brakes) and scheme (for HTTPS) a trusted proxy reports.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.security.trusted_proxies))
