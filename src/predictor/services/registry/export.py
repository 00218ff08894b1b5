"""Use case: export a registered version as a self-contained directory that serves without a registry."""

from __future__ import annotations

import logging
import os

from predictor.domain.errors import ConfigurationError
from predictor.domain.exported import EXPORT_RECORD_FILE, ExportRecord
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ArtifactStore, Clock, ModelCatalog, ModelRuntime
from predictor.services.serving.loading import prepare

log = logging.getLogger(__name__)


class ExportModel:
    """Download the version ``ref`` names, check that it serves, and publish it with its
    ``version.json`` at ``destination`` (a path or URI), which must not hold files yet.

    The directory appears through the artifact store's ``publish``: on local disk by one
    rename, complete, or not at all; ``version.json`` is written last, marking it complete.
    """

    def __init__(
        self, catalog: ModelCatalog, runtime: ModelRuntime, artifacts: ArtifactStore, clock: Clock
    ) -> None:
        self._catalog = catalog
        self._runtime = runtime
        self._artifacts = artifacts
        self._clock = clock

    def __call__(self, ref: ModelRef, destination: str | os.PathLike[str]) -> ModelVersion:
        uri = os.fspath(destination)
        if self._artifacts.list(uri):
            raise ConfigurationError(f"{uri} already exists; export into a new (or empty) directory")
        version = self._catalog.resolve(ref)
        record = ExportRecord(version, ref, self._clock.now())
        with self._artifacts.publish(uri, {EXPORT_RECORD_FILE: record.to_json()}) as staging:
            directory = self._catalog.download(version, staging)
            prepare(self._runtime, version, ref.alias, directory, "export")  # it loads and predicts
        log.info("model exported", extra={"model": version.name, "version": version.version})
        return version
