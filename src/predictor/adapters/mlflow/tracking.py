"""MLflow experiment tracking behind the ``ExperimentTracker`` port."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
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
from predictor.adapters.mlflow.flavor import save_model_directory
from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import ExperimentTracker, TrackedRun, TrainedModel

log = logging.getLogger(__name__)

MODEL_ARTIFACT_PATH = "model"
_BATCH = 100  # MLflow's log_batch accepts at most 100 params per call
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


class MlflowRun(TrackedRun):
    """One MLflow run; every call writes through to the store."""

    def __init__(self, client: MlflowClient, run_id: str, artifact_uri: str, store: str) -> None:
        self._client = client
        self._run_id = run_id
        self._artifact_uri = artifact_uri.rstrip("/")
        self._store = store

    @property
    def run_id(self) -> str:
        return self._run_id

    def log_params(self, params: Mapping[str, Any]) -> None:
        items = [Param(str(k), str(v)) for k, v in params.items()]
        for start in range(0, len(items), _BATCH):
            with self._errors():
                self._client.log_batch(self._run_id, params=items[start : start + _BATCH])

    def log_metrics(self, metrics: Mapping[str, float]) -> None:
        now = int(time.time() * 1000)
        items = [Metric(str(k), float(v), now, 0) for k, v in metrics.items()]
        for start in range(0, len(items), _BATCH):
            with self._errors():
                self._client.log_batch(self._run_id, metrics=items[start : start + _BATCH])

    def set_tags(self, tags: Mapping[str, str]) -> None:
        items = [RunTag(str(k), str(v)) for k, v in tags.items()]
        for start in range(0, len(items), _BATCH):
            with self._errors():
                self._client.log_batch(self._run_id, tags=items[start : start + _BATCH])

    def log_dict(self, payload: Mapping[str, Any], filename: str) -> None:
        with self._errors():
            self._client.log_dict(self._run_id, dict(payload), filename)

    def log_metric_history(self, name: str, values: Sequence[float]) -> None:
        now = int(time.time() * 1000)
        items = [Metric(str(name), float(v), now, step) for step, v in enumerate(values)]
        # log_batch takes up to 1000 metrics per call.
        for start in range(0, len(items), 1000):
            with self._errors():
                self._client.log_batch(self._run_id, metrics=items[start : start + 1000])

    def log_artifact(self, content: bytes, path: str) -> None:
        folder, _, filename = path.rpartition("/")
        with tempfile.TemporaryDirectory(prefix="predictor-artifact-") as tmp:
            local = Path(tmp) / filename
            local.write_bytes(content)
            with self._errors():
                self._client.log_artifact(self._run_id, str(local), folder or None)

    def log_model(self, model: TrainedModel) -> str:
        """Log the model directory under ``model/``; return its artifact URI, the source to register."""
        with tempfile.TemporaryDirectory(prefix="predictor-model-") as tmp:
            directory = Path(tmp) / MODEL_ARTIFACT_PATH
            with self._errors():
                save_model_directory(model, directory)
                self._client.log_artifacts(self._run_id, str(directory), MODEL_ARTIFACT_PATH)
        return f"{self._artifact_uri}/{MODEL_ARTIFACT_PATH}"

    def _errors(self) -> AbstractContextManager[None]:
        return mlflow_errors(self._store, f"run {self._run_id} is not in the tracking store")


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
