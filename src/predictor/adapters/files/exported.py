"""An exported model directory seen as a catalog holding its one version.

Every reader of an export goes through it: ``predictor serve --model-dir DIR`` and
``predictor predict --model-dir DIR`` (the container's catalog, loaded by ``LoadModel`` as a
registry's version is), and ``PREDICTOR_FALLBACK_MODEL_DIR`` (``LoadModel``'s fallback). So the
service's routes that read the registry (``GET /v1/models``, ``POST /v1/models/reload``) work
the same, without any registry or network. It has no write side: nothing publishes into an
export. The directory is read through an ``ArtifactStore`` (local files unless given another),
so it may be a URI. ``ExportedModelCache`` is the cache in front of it: a local export is read
in place, so serving one copies and writes nothing (a read-only image serves it).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from predictor.adapters.files.artifacts import LocalArtifactStore, local_path
from predictor.domain.errors import ConfigurationError, InvalidModel, ModelNotFound
from predictor.domain.exported import EXPORT_RECORD_FILE, ExportRecord
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ArtifactStore, ModelCache, ModelCatalog, ModelRegistry

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

    def in_place(self, version: ModelVersion) -> Path | None:
        """The export's own directory when it holds ``version`` and is on local disk, else None."""
        if (version.name, version.version) != (self.record.version.name, self.record.version.version):
            return None
        try:
            directory = local_path(self._uri)
        except ConfigurationError:  # another scheme: its files must be downloaded
            return None
        return directory if directory.is_dir() else None


class ExportedModelCache(ModelCache):
    """The cache in front of an exported model directory: the export's version is read in
    place (``ExportedModelCatalog.in_place``), nothing copied, nothing written beside it. Any
    other version put is kept under a temporary folder, and the last good versions in memory,
    for the life of the process (an export's version never changes)."""

    def __init__(self, catalog: ExportedModelCatalog) -> None:
        self._catalog = catalog
        self._root: Path | None = None
        self._placed: dict[tuple[str, str], Path] = {}
        self._last_good: dict[str, ModelVersion] = {}

    def get(self, version: ModelVersion) -> Path | None:
        placed = self._placed.get((version.name, version.version))
        if placed is not None and placed.is_dir():
            return placed
        try:
            return self._catalog.in_place(version)
        except InvalidModel:  # not an export: nothing is held in place
            return None

    def put(self, version: ModelVersion, download: Callable[[Path], Path]) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="predictor-export-cache-"))
        directory = download(Path(tempfile.mkdtemp(dir=self._root)))
        self._placed[(version.name, version.version)] = directory
        return directory

    def remember(self, ref: ModelRef, version: ModelVersion) -> None:
        self._last_good[ref.uri] = version

    def last_good(self, ref: ModelRef) -> tuple[ModelVersion, Path] | None:
        version = self._last_good.get(ref.uri)
        directory = self.get(version) if version is not None else None
        return (version, directory) if version is not None and directory is not None else None
