"""The ``predictor`` command: train, serve, and the ``demo`` journey behind ``make run``.

Each command lives in its own module and registers itself on the group in ``base``, which
imports a command's module only when that command is used (``base.COMMAND_MODULES``).
"""

from __future__ import annotations

from predictor.entrypoints.startup import collector_paused

with collector_paused():
    from predictor.entrypoints.cli.base import (
        EXIT_CODES,
        cli,
        exit_code_for,
        reports_errors,
        settings_from_env,
    )


def main() -> None:
    cli(prog_name="predictor")


__all__ = ["EXIT_CODES", "cli", "exit_code_for", "main", "reports_errors", "settings_from_env"]
