"""The ``predictor`` command: train, serve, and the ``demo`` journey behind ``make run``.

Domain errors become one clear line on stderr and a non-zero exit code (see EXIT_CODES);
no stack trace reaches the terminal unless PREDICTOR_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from predictor.config import Settings, load_settings
from predictor.domain.errors import (
    ConfigurationError,
    DataError,
    InvalidInput,
    InvalidModel,
    ModelNotFound,
    ModelUnavailable,
    PredictorError,
)
from predictor.domain.schema import TaskType

# One table, like the HTTP edge's: error class -> exit code.
EXIT_CODES: dict[type[PredictorError], int] = {
    InvalidInput: 2,
    DataError: 2,
    ConfigurationError: 2,
    ModelNotFound: 3,
    ModelUnavailable: 4,
    InvalidModel: 5,
}
INTERNAL_ERROR = 70

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("predictor.cli")


def exit_code_for(error: PredictorError) -> int:
    for cls in type(error).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def reports_errors(command: F) -> F:
    """Turn domain errors into one line on stderr and an exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PredictorError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(exit_code_for(error))
        except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:
            log.debug("unexpected error", exc_info=True)
            click.echo(
                f"internal error: {type(error).__name__}; rerun with PREDICTOR_LOG_LEVEL=DEBUG for details",
                err=True,
            )
            sys.exit(INTERNAL_ERROR)

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature


def _settings(**overrides: Any) -> Settings:
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    from predictor.entrypoints.logging import configure_logging

    configure_logging(json=settings.json_logs, level=settings.log_level)
    return settings


@click.group(
    name="predictor", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(package_name="predictor")
def cli() -> None:
    """predictor: train XGBoost models tracked in MLflow and serve them over HTTP.

    Settings come from PREDICTOR_* environment variables (see docs/configuration.md).
    """


@cli.command()
@click.option("--dataset", required=True, help="A bundled data set: breast-cancer, wine or diabetes.")
@click.option("--register", "register_as", metavar="NAME", help="Register the model under NAME.")
@click.option(
    "--promote", "promote_to", metavar="ALIAS", help="Point ALIAS (e.g. production) at the new version."
)
@click.option("--seed", type=int, default=42, show_default=True, help="Seed for the split and training.")
@click.option(
    "--task", type=click.Choice([t.value for t in TaskType]), help="Force the task instead of inferring it."
)
@click.option("--experiment", help="MLflow experiment name (default: PREDICTOR_EXPERIMENT or 'predictor').")
@reports_errors
def train(
    dataset: str,
    register_as: str | None,
    promote_to: str | None,
    seed: int,
    task: str | None,
    experiment: str | None,
) -> None:
    """Train on a data set, log the run to MLflow, optionally register and promote it.

    \b
    Examples:
      predictor train --dataset breast-cancer
      predictor train --dataset breast-cancer --register demo --promote production
      MLFLOW_TRACKING_URI=http://127.0.0.1:5000 predictor train --dataset wine --register wine
    """
    from predictor.container import build_container
    from predictor.domain.training import TrainingRequest

    if promote_to and not register_as:
        raise click.UsageError("--promote needs --register NAME")
    settings = _settings(experiment=experiment)
    container = build_container(settings)
    outcome = container.train_model()(
        TrainingRequest(
            dataset=dataset,
            experiment=settings.experiment,
            register_as=register_as,
            promote_to=promote_to,
            seed=seed,
            task=TaskType(task) if task else None,
        )
    )
    click.echo(
        f"run {outcome.run_id}: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(outcome.metrics.items()))
    )
    if outcome.version is not None:
        click.echo(f"registered {outcome.version.name} version {outcome.version.version}")
    if outcome.alias is not None and outcome.version is not None:
        click.echo(f"alias {outcome.alias} -> {outcome.version.name}/{outcome.version.version}")


@cli.command()
@click.option("--host", help="Interface to bind (default: PREDICTOR_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: PREDICTOR_PORT or 8000).")
@click.option("--workers", type=int, help="Worker processes (default: PREDICTOR_WORKERS or 1).")
@reports_errors
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve models:/PREDICTOR_MODEL_NAME@PREDICTOR_MODEL_ALIAS over HTTP.

    \b
    Examples:
      PREDICTOR_API_KEYS=change-me-0123456789 predictor serve
      PREDICTOR_MODEL_NAME=demo PREDICTOR_MODEL_ALIAS=staging predictor serve --port 8080 --workers 2
    """
    settings = _settings(host=host, port=port, workers=workers)
    run_server(settings)


def run_server(settings: Settings) -> None:
    import uvicorn

    # Workers build their own app from the environment; the CLI's overrides travel there too.
    os.environ["PREDICTOR_HOST"] = settings.host
    os.environ["PREDICTOR_PORT"] = str(settings.port)
    uvicorn.run(
        "predictor.entrypoints.http.asgi:app_factory",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        server_header=False,
    )


@cli.command()
@reports_errors
def demo() -> None:
    """Train the demo model on UCI Breast Cancer if none is in production yet, then serve it.

    This is what `make run` does. The generated API key is kept in .predictor/demo-api-key.
    """
    from predictor.entrypoints.demo import prepare_demo

    settings = _settings()
    prepare_demo(settings, echo=click.echo)
    run_server(settings)


def main() -> None:
    cli(prog_name="predictor")
