"""An exported model directory seen as a catalog holding its one version.

Every reader of an export goes through it: ``predictor serve --model-dir DIR`` and
``predictor predict --model-dir DIR`` (the container's catalog, loaded by ``LoadModel`` as a
registry's version is), and ``PREDICTOR_FALLBACK_MODEL_DIR`` (``LoadModel``'s fallback). So the
service's routes that read the registry (``GET /v1/models``, ``POST /v1/models/reload``) work
the same, without any registry or network. It has no write side: nothing publishes into an
export. The directory is read through an ``ArtifactStore`` (local files unless given another),
so it may be a URI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from predictor.adapters.files.artifacts import LocalArtifactStore
from predictor.domain.errors import ConfigurationError, InvalidModel, ModelNotFound
from predictor.domain.exported import EXPORT_RECORD_FILE, ExportRecord
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ArtifactStore, ModelCatalog, ModelRegistry

READ_ONLY = "an exported model directory is read-only; change the registry, then export again"


def refuse_writes() -> ModelRegistry:
    """The registry's write side while an export is served: there is none, so asking is refused."""
    raise ConfigurationError(READ_ONLY)


class ExportedModelCatalog(ModelCatalog):
    """The version in ``directory`` (read from its ``version.json`` once, when first asked)."""

    def __init__(self, directory: str | os.PathLike[str], artifacts: ArtifactStore | None = None) -> None:
        self._uri = os.fspath(directory).rstrip("/")
        self._artifacts = artifacts or LocalArtifactStore()
        self._record: ExportRecord | None = None

    @property
    def record(self) -> ExportRecord:
        if self._record is None:
            name = self._uri.rsplit("/", 1)[-1]
            try:
                content = self._artifacts.read(f"{self._uri}/{EXPORT_RECORD_FILE}")
            except ConfigurationError as exc:
                raise InvalidModel(
                    f"{name!r} has no readable {EXPORT_RECORD_FILE}: it is not a directory written by "
                    "`predictor export`"
                ) from exc
            self._record = ExportRecord.from_json(content, name)
        return self._record

    @property
    def ref(self) -> ModelRef:
        """The reference the version was exported as: what serving the export reports following."""
        return self.record.ref

    def _version(self, name: str) -> ModelVersion:
        version = self.record.version
        if name != version.name:
            raise ModelNotFound(f"the exported model directory holds {version.name!r}, not {name!r}")
        return version

    def resolve(self, ref: ModelRef) -> ModelVersion:
        version = self._version(ref.name)
        if ref.version not in (None, version.version) or (
            ref.alias is not None and ref.alias not in version.aliases and ref != self.record.ref
        ):
            raise ModelNotFound(f"{ref} is not the exported version ({version.name}/{version.version})")
        return version

    def list_versions(self, name: str) -> Sequence[ModelVersion]:
        return [self._version(name)]

    def list_models(self) -> Sequence[str]:
        return [self.record.version.name]

    def model_tags(self, name: str) -> Mapping[str, str]:
        self._version(name)
        return {}

    def download(self, version: ModelVersion, destination: Path) -> Path:
        self.resolve(ModelRef(version.name, version=version.version))
        return self._artifacts.download(self._uri, destination)
