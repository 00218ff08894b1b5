"""`predictor mlflow-server`: MLflow's tracking server with the stores of the profile.

dev / test: SQLite (``mlflow.db``) and artifacts in ``mlartifacts/``, both in the working
directory. prod: the backend store and artifact destination from the settings (PostgreSQL
and S3), both required. Artifacts are always proxied by the server (``--serve-artifacts``),
so clients need no cloud credentials, only the server's URL.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import sys
from pathlib import Path

import click

from predictor.config import Profile, Settings
from predictor.domain.errors import ConfigurationError
from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env

_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@/\s]+@")
# MLflow's GenAI job workers (eight more processes, each importing mlflow) serve nothing
# predictor uses; off unless the environment turns them on.
SERVER_ENVIRONMENT = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def server_command(settings: Settings, host: str, port: int, workers: int | None, cwd: Path) -> list[str]:
    """The ``mlflow server`` command line for ``settings``' profile."""
    backend = settings.tracking.mlflow_backend_store_uri
    artifacts = settings.tracking.mlflow_artifacts_destination
    if settings.profile is Profile.PROD:
        missing = [
            name
            for name, value in (
                ("PREDICTOR_MLFLOW_BACKEND_STORE_URI", backend),
                ("PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION", artifacts),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(
                f"the prod profile needs {' and '.join(missing)} "
                "(e.g. postgresql://mlflow@db.internal:5432/mlflow and s3://my-bucket/mlflow)"
            )
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        backend or f"sqlite:///{cwd / 'mlflow.db'}",
        "--serve-artifacts",
        "--artifacts-destination",
        artifacts or str(cwd / "mlartifacts"),
        "--host",
        host,
        "--port",
        str(port),
    ]
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


def masked(command: list[str]) -> str:
    """The command as a shell line, with any password in a URI replaced by ***."""
    return _PASSWORD.sub(r"\1***@", shlex.join(command))


@cli.command(name="mlflow-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=int, default=5000, show_default=True, help="Port.")
@click.option("--workers", type=int, help="Server worker processes (default: MLflow's).")
@click.option("--print-command", is_flag=True, help="Print the mlflow command instead of running it.")
@reports_errors
def mlflow_server(host: str, port: int, workers: int | None, print_command: bool) -> None:
    """Start MLflow's tracking server (UI, REST API, registry, artifact proxy) for this profile.

    dev and test profiles: SQLite (./mlflow.db) and artifacts in ./mlartifacts. prod profile:
    PREDICTOR_MLFLOW_BACKEND_STORE_URI (PostgreSQL) and PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION
    (s3://…; boto3's usual credentials) are required. Clients then use
    MLFLOW_TRACKING_URI=http://HOST:PORT.

    \b
    Examples:
      predictor mlflow-server
      PREDICTOR_PROFILE=prod \\
        PREDICTOR_MLFLOW_BACKEND_STORE_URI=postgresql://mlflow@db:5432/mlflow \\
        PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION=s3://my-bucket/mlflow \\
        predictor mlflow-server --host 0.0.0.0 --port 5000 --workers 4
    """
    settings = settings_from_env()
    command = server_command(settings, host, port, workers, Path.cwd())
    if print_command:
        click.echo(masked(command))
        return
    if importlib.util.find_spec("mlflow") is None:
        raise ConfigurationError("mlflow is not installed: install predictor[mlflow]")
    click.echo(f"starting the MLflow tracking server on http://{host}:{port}: {masked(command)}", err=True)
    sys.stderr.flush()
    sys.stdout.flush()
    for name, value in SERVER_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    # The server replaces this process, so signals (Ctrl-C, a supervisor's TERM) reach it directly.
    os.execv(sys.executable, command)  # noqa: S606  # our own interpreter, arguments built above
