"""Use case: export a registered version as a self-contained directory that serves without a registry."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from predictor.domain.errors import ConfigurationError
from predictor.domain.exported import ExportRecord
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import Clock, ModelCatalog, ModelRuntime
from predictor.services.serving.loading import prepare

log = logging.getLogger(__name__)


class ExportModel:
    """Download the version ``ref`` names, check that it serves, and write it with its
    ``version.json`` into ``destination``, which must not exist yet (or be empty).

    The directory appears by one rename, complete, or not at all.
    """

    def __init__(self, catalog: ModelCatalog, runtime: ModelRuntime, clock: Clock) -> None:
        self._catalog = catalog
        self._runtime = runtime
        self._clock = clock

    def __call__(self, ref: ModelRef, destination: Path) -> ModelVersion:
        if destination.is_file() or (destination.is_dir() and any(destination.iterdir())):
            raise ConfigurationError(f"{destination} already exists; export into a new (or empty) directory")
        version = self._catalog.resolve(ref)
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
        except OSError as exc:
            raise ConfigurationError(f"cannot write under {destination.parent}: {exc.strerror}") from exc
        try:
            directory = self._catalog.download(version, staging)
            prepare(self._runtime, version, ref.alias, directory, "export")  # it loads and predicts
            ExportRecord(version, ref, self._clock.now()).write(directory)
            if destination.is_dir():
                destination.rmdir()  # empty, checked above
            directory.rename(destination)
        except OSError as exc:
            raise ConfigurationError(f"cannot write the export to {destination}: {exc.strerror}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info("model exported", extra={"model": version.name, "version": version.version})
        return version
