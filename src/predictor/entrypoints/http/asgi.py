"""The ASGI entry: ``uvicorn predictor.entrypoints.http.asgi:app_factory --factory``."""

from __future__ import annotations

from predictor.entrypoints.startup import collector_paused, started

with collector_paused():
    from fastapi import FastAPI

    from predictor.config import load_settings
    from predictor.container import build_container
    from predictor.entrypoints.http.app import create_app
    from predictor.entrypoints.logging import configure_logging


def app_factory() -> FastAPI:
    with collector_paused():
        settings = load_settings()
        configure_logging(json=settings.logging.log_json, level=settings.logging.log_level)
        app = create_app(build_container(settings))
    started()
    return app
