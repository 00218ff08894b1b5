"""One MLflow run behind the ``TrackedRun`` port: params, metrics, tags, artifacts and the model.

Every call writes through to the store, in batches of the size MLflow's ``log_batch`` accepts.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

from predictor.adapters.mlflow.connection import mlflow_errors
from predictor.adapters.mlflow.flavor import save_model_directory
from predictor.domain.ports import TrackedRun, TrainedModel

MODEL_ARTIFACT_PATH = "model"
_BATCH = 100  # MLflow's log_batch accepts at most 100 params per call


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
