"""An exported model directory seen as a catalog holding its one version.

``predictor serve --model-dir DIR`` uses it instead of MLflow, so the service's routes that
read the registry (``GET /v1/models``, ``POST /v1/models/reload``) work the same, without any
registry or network. It has no write side: nothing publishes into an export.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from predictor.domain.errors import ModelNotFound
from predictor.domain.exported import ExportRecord
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ModelCatalog


class ExportedModelCatalog(ModelCatalog):
    """The version in ``directory`` (read from its ``version.json`` once, when first asked)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._record: ExportRecord | None = None

    @property
    def record(self) -> ExportRecord:
        if self._record is None:
            self._record = ExportRecord.read(self._directory)
        return self._record

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
        shutil.copytree(self._directory, destination, dirs_exist_ok=True)
        return destination
