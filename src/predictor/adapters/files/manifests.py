"""A model directory's manifest on local disk: ``manifest.json`` read and written beside the
booster (the domain's ``ModelManifest`` is the value; this is where it meets the file)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from predictor.domain.errors import InvalidModel
from predictor.domain.manifest import MANIFEST_FILE, ModelManifest
from predictor.domain.model import ModelVersion
from predictor.domain.ports import ManifestSource, ModelCatalog


def read_manifest(directory: Path) -> ModelManifest:
    """The manifest of the model in ``directory``; ``InvalidModel`` when it is missing or wrong."""
    path = directory / MANIFEST_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidModel(f"no readable {MANIFEST_FILE} in the model directory") from exc
    return ModelManifest.from_json(text)


def write_manifest(manifest: ModelManifest, directory: Path) -> None:
    (directory / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")


class DownloadedManifests(ManifestSource):
    """A catalog's manifests: the version's files downloaded into a temporary directory, its
    manifest read, the directory removed (the booster is never loaded)."""

    def __init__(self, catalog: ModelCatalog) -> None:
        self._catalog = catalog

    def manifest(self, version: ModelVersion) -> ModelManifest:
        with tempfile.TemporaryDirectory(prefix="predictor-manifest-") as scratch:
            return read_manifest(self._catalog.download(version, Path(scratch)))
