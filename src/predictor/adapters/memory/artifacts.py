"""InMemoryArtifactStore: files as bytes in a dict, by URI."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from predictor.domain.errors import ConfigurationError, ModelUnavailable
from predictor.domain.ports import ArtifactStore


class InMemoryArtifactStore(ArtifactStore):
    """Files in ``files`` (URI -> content); a directory is the URIs under ``<uri>/``.

    ``fail_after = n`` makes a publish stop with ``ModelUnavailable`` after writing ``n`` of
    its files, as a connection lost mid-upload would (the files written stay).
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.fail_after: int | None = None

    def read(self, uri: str) -> bytes:
        if uri not in self.files:
            raise ConfigurationError(f"nothing is stored at {uri}")
        return self.files[uri]

    def write(self, uri: str, content: bytes) -> None:
        if any(other.startswith(uri.rstrip("/") + "/") for other in self.files):
            raise ConfigurationError(f"{uri} is a directory, not a file")
        self.files[uri] = bytes(content)

    def list(self, uri: str) -> Sequence[str]:
        if uri in self.files:
            raise ConfigurationError(f"{uri} is a file, not a directory")
        prefix = uri.rstrip("/") + "/"
        return sorted(key.removeprefix(prefix) for key in self.files if key.startswith(prefix))

    def download(self, uri: str, destination: Path) -> Path:
        names = self.list(uri)
        if not names:
            raise ConfigurationError(f"nothing is stored at {uri}")
        for name in names:
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            (destination / name).write_bytes(self.files[uri.rstrip("/") + "/" + name])
        return destination

    @contextmanager
    def publish(self, uri: str, files: Mapping[str, bytes] | None = None) -> Iterator[Path]:
        staging = Path(tempfile.mkdtemp(prefix="predictor-artifacts-"))
        try:
            yield staging
            found = {
                p.relative_to(staging).as_posix(): p.read_bytes() for p in staging.rglob("*") if p.is_file()
            }
            if self.list(uri):
                raise ConfigurationError(f"{uri} already holds files")
            prefix = uri.rstrip("/") + "/"
            for count, (name, content) in enumerate({**found, **(files or {})}.items()):
                if count == self.fail_after:
                    raise ModelUnavailable(f"the in-memory store failed after {count} files of {uri}")
                self.files[prefix + name] = content
        finally:
            shutil.rmtree(staging, ignore_errors=True)
