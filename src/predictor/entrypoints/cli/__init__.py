"""The ``predictor`` command: train, serve, and the ``demo`` journey behind ``make run``.

Each command lives in its own module and registers itself on the group in ``base``.
"""

from __future__ import annotations

from predictor.entrypoints.cli import demo, export, mlflow_server, models, predict, promote, serve, train
from predictor.entrypoints.cli.base import EXIT_CODES, cli, exit_code_for, reports_errors, settings_from_env


def main() -> None:
    cli(prog_name="predictor")


__all__ = [
    "EXIT_CODES",
    "cli",
    "demo",
    "exit_code_for",
    "export",
    "main",
    "mlflow_server",
    "models",
    "predict",
    "promote",
    "reports_errors",
    "serve",
    "settings_from_env",
    "train",
]
