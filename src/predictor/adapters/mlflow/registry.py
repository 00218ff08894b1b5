"""The MLflow Model Registry behind both registry ports, ``ModelCatalog`` and ``ModelPublisher``.

One class implements both: they are one store behind one client, and the name is the
product's. Use cases still ask for the side they need; only promotion and training take both.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import mlflow.artifacts
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion as MlflowModelVersion
from mlflow.exceptions import MlflowException

from predictor.adapters.mlflow.connection import (
    NOT_FOUND,
    apply_http_defaults,
    describe_store,
    make_client,
    mlflow_errors,
)
from predictor.domain.errors import InvalidModel, ModelUnavailable
from predictor.domain.manifest import MANIFEST_FILE
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ModelRegistry

# MLflow answers an unknown alias with INVALID_PARAMETER_VALUE, not RESOURCE_DOES_NOT_EXIST.
_ALIAS_MISSING = NOT_FOUND | {"INVALID_PARAMETER_VALUE"}
# Stores that copy artifacts on registration (Databricks, Unity Catalog) may take a while.
_REGISTRATION_WAIT_SECONDS = 300


class MlflowModelRegistry(ModelRegistry):
    """Registered models in MLflow (SQLite, PostgreSQL or a tracking server), read and written.

    The client is built on first use, so constructing the adapter never touches the store;
    MLflow's HTTP retries are shortened (see ``connection.HTTP_DEFAULTS``) unless configured.
    """

    def __init__(self, tracking_uri: str) -> None:
        apply_http_defaults()
        self._uri = tracking_uri
        self._store = describe_store(tracking_uri)
        self._client_instance: MlflowClient | None = None

    @property
    def _client(self) -> MlflowClient:
        # Creating a SQLite-backed client creates or migrates the database; let that happen
        # inside the callers' error translation rather than at construction.
        if self._client_instance is None:
            self._client_instance = make_client(self._uri)
        return self._client_instance

    def resolve(self, ref: ModelRef) -> ModelVersion:
        if ref.alias is not None:
            with mlflow_errors(self._store, f"{ref} is not in the registry", _ALIAS_MISSING):
                found = self._client.get_model_version_by_alias(ref.name, ref.alias)
                return self._version(found)
        with mlflow_errors(self._store, f"{ref} is not in the registry"):
            return self._version(self._client.get_model_version(ref.name, str(ref.version)))

    def download(self, version: ModelVersion, destination: Path) -> Path:
        uri = f"models:/{version.name}/{version.version}"
        # MLflow downloads into a directory named after the artifact path; its files are moved
        # up from there, so that they land in ``destination`` itself.
        landing = Path(tempfile.mkdtemp(prefix=".download-", dir=destination))
        try:
            with mlflow_errors(self._store, f"{uri} is not in the registry"):
                # Resolved here rather than handing MLflow the models:/ URI: MLflow resolves
                # models:/ against its process-global registry URI, ignoring the one passed in.
                location = self._client.get_model_version_download_uri(version.name, version.version)
                local = mlflow.artifacts.download_artifacts(
                    artifact_uri=location,
                    dst_path=str(landing),
                    tracking_uri=self._uri,
                    registry_uri=self._uri,
                )
            for entry in Path(local).iterdir():
                entry.rename(destination / entry.name)
        finally:
            shutil.rmtree(landing, ignore_errors=True)
        if not (destination / MANIFEST_FILE).is_file():
            raise InvalidModel(
                f"{uri} has no {MANIFEST_FILE}: it was not logged by predictor, so it cannot be served"
            )
        return destination

    def register(self, name: str, source: str, run_id: str | None, tags: Mapping[str, str]) -> ModelVersion:
        with mlflow_errors(self._store, f"cannot register {name!r}"):
            try:
                self._client.create_registered_model(name)
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
            created = self._client.create_model_version(
                name, source, run_id=run_id, tags=dict(tags), await_creation_for=_REGISTRATION_WAIT_SECONDS
            )
            # create_model_version returns the version as first created, before the wait.
            current = self._client.get_model_version(name, created.version)
            if current.status != "READY":
                raise ModelUnavailable(
                    f"version {current.version} of {name!r} is {current.status} after "
                    f"{_REGISTRATION_WAIT_SECONDS} s: {current.status_message or 'no message'}"
                )
            return self._version(current)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        with mlflow_errors(self._store, f"model {name!r} has no version {version}"):
            self._client.set_registered_model_alias(name, alias, version)

    def list_versions(self, name: str) -> Sequence[ModelVersion]:
        with mlflow_errors(self._store, f"no registered model named {name!r}"):
            model = self._client.get_registered_model(name)
            # search_model_versions leaves aliases empty on SQL stores; the model has them all.
            aliases: dict[str, list[str]] = {}
            for alias, number in (model.aliases or {}).items():
                aliases.setdefault(str(number), []).append(alias)
            found: list[MlflowModelVersion] = []
            token: str | None = None
            while True:
                page = self._client.search_model_versions(f"name = '{name}'", page_token=token)
                found.extend(page)
                token = page.token
                if not token:
                    break
            found.sort(key=lambda v: int(v.version), reverse=True)
            return [self._version(v, tuple(sorted(aliases.get(str(v.version), ())))) for v in found]

    def list_models(self) -> Sequence[str]:
        with mlflow_errors(self._store, "the registered models"):
            names: list[str] = []
            token: str | None = None
            while True:
                page = self._client.search_registered_models(page_token=token)
                names.extend(model.name for model in page)
                token = page.token
                if not token:
                    return sorted(names)

    def set_version_tags(self, name: str, version: str, tags: Mapping[str, str]) -> None:
        with mlflow_errors(self._store, f"model {name!r} has no version {version}"):
            for key, value in tags.items():
                self._client.set_model_version_tag(name, version, key, value)

    def model_tags(self, name: str) -> Mapping[str, str]:
        with mlflow_errors(self._store, f"no registered model named {name!r}"):
            return dict(self._client.get_registered_model(name).tags or {})

    def set_model_tags(self, name: str, tags: Mapping[str, str]) -> None:
        with mlflow_errors(self._store, f"no registered model named {name!r}"):
            for key, value in tags.items():
                self._client.set_registered_model_tag(name, key, value)

    def _version(self, found: MlflowModelVersion, aliases: tuple[str, ...] | None = None) -> ModelVersion:
        created = found.creation_timestamp
        return ModelVersion(
            name=found.name,
            version=str(found.version),
            run_id=found.run_id or None,
            created_at=datetime.fromtimestamp(created / 1000, tz=UTC) if created else None,
            aliases=tuple(sorted(found.aliases or ())) if aliases is None else aliases,
            source=found.source or "",
            description=found.description or "",
            tags=dict(found.tags or {}),
            metrics=self._run_metrics(found.run_id),
        )

    def _run_metrics(self, run_id: str | None) -> dict[str, float]:
        """The metrics the training run logged (``test_roc_auc``…); none if the run is gone."""
        if not run_id:
            return {}
        try:
            run = self._client.get_run(run_id)
        except MlflowException as exc:
            if exc.error_code in NOT_FOUND:
                return {}
            raise
        return {str(k): float(v) for k, v in run.data.metrics.items()}
