"""MLflow experiment tracking behind the ``ExperimentTracker`` port: experiments and the runs' lifecycle.

What one run writes is in ``run.py`` (``MlflowRun``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.tracking.context.registry import resolve_tags
from mlflow.utils.git_utils import get_git_commit
from mlflow.utils.mlflow_tags import MLFLOW_GIT_COMMIT, MLFLOW_PARENT_RUN_ID

from predictor.adapters.mlflow.connection import (
    apply_http_defaults,
    describe_store,
    make_client,
    mlflow_errors,
)
from predictor.adapters.mlflow.run import MlflowRun
from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import ExperimentTracker

log = logging.getLogger(__name__)

_PACKAGES = ("predictor", "xgboost", "mlflow", "numpy", "pandas", "scikit-learn", "optuna", "pyarrow")
_REMOTE_SCHEMES = ("http", "https", "databricks")


def artifact_location(artifact_root: str, tracking_uri: str) -> str | None:
    """Where a new experiment keeps its artifacts.

    A URI (``s3://…``, ``mlflow-artifacts:/…``, ``file://…``) is used as given. A local path
    becomes an absolute ``file://`` URI, so runs land beside ``mlflow.db`` wherever the
    process starts; except with a tracking server, where a client-side path would mean
    nothing to other clients, so the server's own artifact root is used.
    """
    if len(urlsplit(artifact_root).scheme) > 1:  # one letter is a Windows drive
        return artifact_root
    if urlsplit(tracking_uri).scheme in _REMOTE_SCHEMES:
        return None
    return Path(artifact_root).expanduser().resolve().as_uri()


class MlflowExperimentTracker(ExperimentTracker):
    """Runs in an MLflow tracking store; the experiment is created on first use."""

    def __init__(self, tracking_uri: str, artifact_root: str) -> None:
        apply_http_defaults()
        self._uri = tracking_uri
        self._artifact_root = artifact_root
        self._store = describe_store(tracking_uri)
        self._client_instance: MlflowClient | None = None
        self._context: dict[str, str] | None = None

    @property
    def _client(self) -> MlflowClient:
        if self._client_instance is None:
            self._client_instance = make_client(self._uri)
        return self._client_instance

    @contextmanager
    def start_run(
        self, experiment: str, run_name: str, parent_run_id: str | None = None
    ) -> Iterator[MlflowRun]:
        """A run that ends FINISHED, or FAILED (KILLED on interrupt) when the block raises;
        nested under ``parent_run_id`` (MLflow's ``mlflow.parentRunId`` tag) when given."""
        if self._context is None:  # the same for every run of this process (trials included)
            self._context = _context_tags()
        tags = dict(self._context)
        if parent_run_id is not None:
            tags[MLFLOW_PARENT_RUN_ID] = parent_run_id
        with mlflow_errors(self._store, f"experiment {experiment!r} is not in the tracking store"):
            experiment_id = self._experiment_id(experiment)
            created = self._client.create_run(experiment_id, run_name=run_name, tags=tags)
        run = MlflowRun(self._client, created.info.run_id, created.info.artifact_uri, self._store)
        try:
            yield run
        except Exception:
            self._end(run.run_id, "FAILED")
            raise
        except BaseException:
            self._end(run.run_id, "KILLED")
            raise
        with mlflow_errors(self._store, f"run {run.run_id} is not in the tracking store"):
            self._client.set_terminated(run.run_id, "FINISHED")

    def _experiment_id(self, name: str) -> str:
        found = self._client.get_experiment_by_name(name)
        if found is None:
            location = artifact_location(self._artifact_root, self._uri)
            try:
                return str(self._client.create_experiment(name, artifact_location=location))
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":  # another process just created it
                    raise
                found = self._client.get_experiment_by_name(name)
        if found is None or found.lifecycle_stage == "deleted":
            raise ConfigurationError(
                f"experiment {name!r} is deleted; restore it (mlflow experiments restore) "
                "or train under another name"
            )
        return str(found.experiment_id)

    def _end(self, run_id: str, status: str) -> None:
        try:
            self._client.set_terminated(run_id, status)
        except Exception:  # the block's own error matters more than this one
            log.warning("could not mark run %s %s", run_id, status, exc_info=True)


def _context_tags() -> dict[str, str]:
    """MLflow's usual run context (user, entry point, git commit) plus package versions."""
    tags = {str(k): str(v) for k, v in resolve_tags().items()}
    if MLFLOW_GIT_COMMIT not in tags:
        # resolve_tags looks beside the entry script (a console script in .venv/bin);
        # the working directory is where a project under version control usually is.
        commit = get_git_commit(os.getcwd())
        if commit:
            tags[MLFLOW_GIT_COMMIT] = commit
    for package in _PACKAGES:
        try:
            tags[f"predictor.versions.{package}"] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return tags
