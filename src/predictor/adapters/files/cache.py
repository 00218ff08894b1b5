"""Model directories cached on local disk, checked by SHA-256, and the last good version per reference.

    root/
      <name>/<version>/model/          the model directory, as the registry gave it
      <name>/<version>/sha256          checksum of every file under model/
      <name>/last-good/@<alias>.json   the version last served for name@alias
      <name>/last-good/<version>.json  ... and for name/version
      .staging-*/                      downloads in progress (renamed into place when complete)

Every entry appears by one rename, so a reader never sees half a download, and two
processes filling the same version leave one intact copy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from predictor.adapters.files.artifacts import write_atomically
from predictor.domain.errors import ConfigurationError
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ModelCache

log = logging.getLogger(__name__)

MODEL_DIR = "model"
CHECKSUM_FILE = "sha256"
LAST_GOOD_DIR = "last-good"
_STAGING_PREFIX = ".staging-"


def directory_checksum(directory: Path) -> str:
    """SHA-256 over the relative path and content of every file under ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            file_digest = hashlib.file_digest(handle, "sha256")
        digest.update(file_digest.digest())
    return digest.hexdigest()


def _component(text: str) -> str:
    """A registry name or version as one safe path component."""
    if not text or text.startswith(".") or any(c in text for c in "/\\\0"):
        raise ConfigurationError(f"{text!r} cannot name a directory in the model cache")
    return text


class LocalModelCache(ModelCache):
    """Model directories under ``root``, safe to share between processes on one machine."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _entry(self, version: ModelVersion) -> Path:
        return self.root / _component(version.name) / _component(version.version)

    def get(self, version: ModelVersion) -> Path | None:
        entry = self._entry(version)
        if not entry.is_dir():
            return None
        if _intact(entry):
            return entry / MODEL_DIR
        log.warning(
            "cached model failed its checksum; removing it so it is downloaded again",
            extra={"model": version.name, "version": version.version},
        )
        _discard(entry, self.root)
        return None

    def put(self, version: ModelVersion, download: Callable[[Path], Path]) -> Path:
        entry = self._entry(version)
        with _writing(self.root):
            entry.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=self.root))
        try:
            landing = staging / "download"
            landing.mkdir()
            directory = download(landing).resolve()
            if not directory.is_dir() or not directory.is_relative_to(landing.resolve()):
                raise ConfigurationError("the model download did not produce a directory in the staging area")
            with _writing(self.root):
                directory.rename(staging / MODEL_DIR)
                shutil.rmtree(landing, ignore_errors=True)
                (staging / CHECKSUM_FILE).write_text(directory_checksum(staging / MODEL_DIR) + "\n")
                return self._move_into_place(staging, entry) / MODEL_DIR
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already when the rename succeeded

    def _move_into_place(self, staging: Path, entry: Path) -> Path:
        for _ in range(3):
            try:
                staging.rename(entry)  # atomic; fails if entry exists (another put got there first)
                return entry
            except OSError:
                if not entry.exists():
                    raise
            if _intact(entry):
                return entry  # an identical version is in place; ours is thrown away
            _discard(entry, self.root)
        raise ConfigurationError(f"could not place the cached model at {entry.name}: it keeps changing")

    def remember(self, ref: ModelRef, version: ModelVersion) -> None:
        path = self._last_good_path(ref)
        with _writing(self.root):
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, json.dumps(version.as_dict(), indent=2, sort_keys=True))

    def last_good(self, ref: ModelRef) -> tuple[ModelVersion, Path] | None:
        path = self._last_good_path(ref)
        try:
            version = ModelVersion.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning(
                "unreadable last-good record %s ignored: %s", path.name, exc, extra={"model": ref.name}
            )
            return None
        directory = self.get(version)
        return (version, directory) if directory is not None else None

    def _last_good_path(self, ref: ModelRef) -> Path:
        key = f"@{ref.alias}" if ref.alias is not None else str(ref.version)
        return self.root / _component(ref.name) / LAST_GOOD_DIR / f"{_component(key)}.json"


@contextmanager
def _writing(root: Path) -> Iterator[None]:
    """A cache that cannot be written is a setting to fix (PREDICTOR_CACHE_DIR), not a crash."""
    try:
        yield
    except OSError as exc:
        raise ConfigurationError(
            f"the model cache directory {root.name!r} cannot be written: {exc.strerror or exc}"
        ) from exc


def _intact(entry: Path) -> bool:
    try:
        expected = (entry / CHECKSUM_FILE).read_text().strip()
        return (entry / MODEL_DIR).is_dir() and directory_checksum(entry / MODEL_DIR) == expected
    except OSError:
        return False


def _discard(entry: Path, root: Path) -> None:
    """Remove ``entry``: first renamed aside (atomic), so no reader finds it half deleted."""
    trash = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=root))
    with suppress(OSError):  # already gone: another process discarded or replaced it
        entry.rename(trash / "discarded")
    shutil.rmtree(trash, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    write_atomically(path, text.encode("utf-8"))
