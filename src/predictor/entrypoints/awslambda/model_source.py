"""A model exported to S3, fetched at init: ``PREDICTOR_MODEL_DIR=s3://bucket/prefix`` on Lambda.

``predictor export`` writes the directory (``version.json`` last, so a complete one has it);
the function downloads it once per instance into Lambda's writable ``/tmp`` and serves it as an
exported directory. When S3 cannot be read and the zip has a baked model, the baked copy is
served instead, and the fallback is alerted; with no baked copy, init fails with the reason.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import structlog

from predictor.domain.alerts import FALLBACK, Alert
from predictor.domain.errors import InvalidModel, PredictorError
from predictor.domain.ports import Alerter, ArtifactStore

log = structlog.get_logger(__name__)


def is_remote(model_dir: str) -> bool:
    return model_dir.startswith("s3://")


def fetch_export(uri: str, artifacts: ArtifactStore, root: Path | None = None) -> Path:
    """Download the export at ``uri`` into a fresh folder under ``root`` (the temporary
    directory: ``/tmp`` on Lambda); that folder."""
    target = Path(root or tempfile.gettempdir()) / "predictor-model"
    shutil.rmtree(target, ignore_errors=True)
    artifacts.download(uri, target)
    if not (target / "version.json").is_file():
        shutil.rmtree(target, ignore_errors=True)
        raise InvalidModel(f"{uri} holds no complete export (no version.json): run `predictor export` there")
    return target


def model_dir_at_init(
    uri: str, artifacts: ArtifactStore, baked: Path, alerter: Callable[[], Alerter], root: Path | None = None
) -> Path:
    """The directory to serve: the export fetched from ``uri``, else the ``baked`` one (alerted)."""
    try:
        return fetch_export(uri, artifacts, root)
    except PredictorError as exc:
        if not (baked / "version.json").is_file():
            raise
        detail = f"{uri} could not be read ({exc}); serving the model baked into the function"
        log.error("model source unreachable", source=uri, error=type(exc).__name__, fallback=str(baked))
        alerter().alert(Alert(FALLBACK, detail, error=type(exc).__name__))
        return baked
