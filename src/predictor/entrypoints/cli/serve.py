"""`predictor serve`."""

from __future__ import annotations

import os
from pathlib import Path

import click

from predictor.config import Settings
from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env


@cli.command()
@click.option("--host", help="Interface to bind (default: PREDICTOR_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: PREDICTOR_PORT or 8000).")
@click.option("--workers", type=int, help="Worker processes (default: PREDICTOR_WORKERS or 1).")
@click.option(
    "--model-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Serve this directory from `predictor export` (no registry; default: PREDICTOR_MODEL_DIR).",
)
@reports_errors
def serve(host: str | None, port: int | None, workers: int | None, model_dir: Path | None) -> None:
    """Serve models:/PREDICTOR_MODEL_NAME@PREDICTOR_MODEL_ALIAS over HTTP, following the alias
    (every PREDICTOR_RELOAD_INTERVAL_S seconds), or an exported model directory as it is.

    \b
    Examples:
      PREDICTOR_API_KEYS=change-me-0123456789 predictor serve
      PREDICTOR_MODEL_NAME=demo PREDICTOR_MODEL_ALIAS=staging predictor serve --port 8080 --workers 2
      PREDICTOR_API_KEYS=change-me-0123456789 predictor serve --model-dir build/model
    """
    settings = settings_from_env(host=host, port=port, workers=workers, model_dir=model_dir)
    if model_dir is not None and settings.serving.served_models is not None:
        raise click.UsageError(
            "--model-dir serves one model; with PREDICTOR_MODELS or PREDICTOR_MODELS_FILE set, list the "
            "directory there"
        )
    exported = settings.serving.default_model_dir
    if exported is not None:
        from predictor.container import build_container

        container = build_container(settings)
        version = container.catalog().resolve(container.model_ref())  # not an export: exit now
        click.echo(f"serving {version.name} version {version.version} from {exported}")
    run_server(settings)


def serving_environment(settings: Settings) -> None:
    """What the server's processes read from the environment, set in this one's.

    Workers build their own app from the environment; the CLI's overrides travel there too.
    XGBoost's OpenMP threads sleep as soon as a batch is scored (``OMP_WAIT_POLICY=PASSIVE``,
    unless set already): by default they spin for a while first, taking the CPUs the event
    loops and the other workers need to read and answer the next requests.
    """
    os.environ["PREDICTOR_HOST"] = settings.http.host
    os.environ["PREDICTOR_PORT"] = str(settings.http.port)
    if settings.serving.model_dir is not None and settings.serving.served_models is None:
        os.environ["PREDICTOR_MODEL_DIR"] = str(settings.serving.model_dir.resolve())
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def run_server(settings: Settings) -> None:
    from predictor.entrypoints.http import server

    serving_environment(settings)
    server.run(settings)
