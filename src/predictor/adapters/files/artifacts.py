"""Artifacts on local disk: ``file://`` URIs and plain paths.

Files are replaced by a rename from a temporary sibling, and published directories appear
by one rename of a staging directory beside them, so a reader never sees part of either.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import ArtifactStore


def local_path(uri: str) -> Path:
    """The path a ``file://`` URI or a plain path names; other schemes are refused."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ConfigurationError(f"{uri} names a file on another host ({parts.netloc})")
        return Path(unquote(parts.path))
    if len(parts.scheme) > 1:  # a one-letter scheme is a Windows drive
        raise ConfigurationError(f"{uri}: local files are file:// URIs or paths, not {parts.scheme}://")
    return Path(uri)


def write_atomically(path: Path, content: bytes) -> None:
    """``content`` at ``path`` whole or not at all: written beside it, synced, then renamed over it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class LocalArtifactStore(ArtifactStore):
    """Files under the local file system, as the URIs name them."""

    def read(self, uri: str) -> bytes:
        path = local_path(uri)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigurationError(f"nothing is stored at {uri}") from exc
        except OSError as exc:
            raise ConfigurationError(f"cannot read {uri}: {exc.strerror}") from exc

    def write(self, uri: str, content: bytes) -> None:
        path = local_path(uri)
        with _failing_as(f"cannot write {uri}"):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, content)

    def list(self, uri: str) -> Sequence[str]:
        root = local_path(uri)
        if root.is_file():
            raise ConfigurationError(f"{uri} is a file, not a directory")
        with _failing_as(f"cannot list {uri}"):
            return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    def download(self, uri: str, destination: Path) -> Path:
        source = local_path(uri)
        if not source.is_dir():
            raise ConfigurationError(f"nothing is stored at {uri}")
        with _failing_as(f"cannot copy {uri} to {destination}"):
            shutil.copytree(source, destination, dirs_exist_ok=True)
        return destination

    @contextmanager
    def publish(self, uri: str, files: Mapping[str, bytes] | None = None) -> Iterator[Path]:
        target = local_path(uri)
        with _failing_as(f"cannot write under {target.parent}"):
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            # The block's own disk errors are writes into this store, said as such.
            with _failing_as(f"cannot write {uri}"):
                yield staging
                for name, content in (files or {}).items():
                    (staging / name).parent.mkdir(parents=True, exist_ok=True)
                    (staging / name).write_bytes(content)
                if target.is_dir() and not any(target.iterdir()):
                    target.rmdir()
                staging.rename(target)  # fails when something appeared there meanwhile
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already when the rename succeeded


@contextmanager
def _failing_as(what: str) -> Iterator[None]:
    """Disk errors are a place to fix (a path, a permission), said in one line."""
    try:
        yield
    except OSError as exc:
        raise ConfigurationError(f"{what}: {exc.strerror or exc}") from exc
