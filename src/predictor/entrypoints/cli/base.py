"""The ``predictor`` command group, its error-to-exit-code table and settings loading.

Domain errors become one clear line on stderr and a non-zero exit code (see EXIT_CODES);
no stack trace reaches the terminal unless PREDICTOR_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from predictor.config import Settings, load_settings
from predictor.domain.errors import (
    CaptureUnavailable,
    ConfigurationError,
    DataError,
    Forbidden,
    FunctionNotFound,
    InvalidInput,
    InvalidModel,
    ModelNotFound,
    ModelRefused,
    ModelUnavailable,
    NoEarlierVersion,
    PredictorError,
    ShadowDisagrees,
    SmokeTestFailed,
    Unauthorized,
)

# One table, like the HTTP edge's: error class -> exit code.
EXIT_CODES: dict[type[PredictorError], int] = {
    InvalidInput: 2,
    DataError: 2,
    ConfigurationError: 2,
    ModelNotFound: 3,
    FunctionNotFound: 3,
    ModelUnavailable: 4,
    CaptureUnavailable: 4,  # a capture store out of reach: not exit 1, which `predictor drift` means as drift
    InvalidModel: 5,
    ModelRefused: 5,
    NoEarlierVersion: 6,
    Unauthorized: 7,
    Forbidden: 7,
    SmokeTestFailed: 8,
    ShadowDisagrees: 9,
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


def settings_from_env(**overrides: Any) -> Settings:
    settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
    from predictor.entrypoints.logging import configure_logging

    configure_logging(json=settings.logging.log_json, level=settings.logging.log_level)
    return settings


# Command name -> the module (in this package) that defines it. A command's module is imported
# only when that command runs (or --help lists it), so `predictor serve` starts without the
# training side's imports.
COMMAND_MODULES: dict[str, str] = {
    "demo": "demo",
    "deploy": "deploy",
    "drift": "drift",
    "export": "export",
    "mlflow-server": "mlflow_server",
    "models": "models",
    "predict": "predict",
    "promote": "promote",
    "rollback": "promote",
    "serve": "serve",
    "train": "train",
}


class CommandGroup(click.Group):
    """A group whose commands are imported on first use (see COMMAND_MODULES)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMAND_MODULES.get(cmd_name)
        if cmd_name not in self.commands and module is not None:
            importlib.import_module(f"{__package__}.{module}")  # its decorators register it here
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=CommandGroup,
    name="predictor",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="predictor")
def cli() -> None:
    """predictor: train XGBoost models tracked in MLflow and serve them over HTTP.

    Settings come from PREDICTOR_* environment variables (see docs/configuration.md).
    """
