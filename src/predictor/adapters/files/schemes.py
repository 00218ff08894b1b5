"""One ``ArtifactStore`` over several, chosen by each URI's scheme: paths and ``file://`` URIs
go to local disk, ``s3://`` to S3, so callers just pass URIs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import ArtifactStore


def scheme_of(uri: str) -> str:
    """``s3``, ``file``…; a plain path (or a Windows drive letter) is ``file``."""
    scheme = urlsplit(uri).scheme.lower()
    return scheme if len(scheme) > 1 else "file"


class ArtifactStoresByScheme(ArtifactStore):
    """The store for each URI's scheme, each made on first use (S3's needs boto3)."""

    def __init__(self, stores: Mapping[str, Callable[[], ArtifactStore]]) -> None:
        self._factories = dict(stores)
        self._made: dict[str, ArtifactStore] = {}

    def store_for(self, uri: str) -> ArtifactStore:
        scheme = scheme_of(uri)
        if scheme not in self._made:
            if scheme not in self._factories:
                known = ", ".join(f"{s}://" for s in sorted(self._factories))
                raise ConfigurationError(f"{uri}: {scheme}:// is not supported; use a path or {known}")
            self._made[scheme] = self._factories[scheme]()
        return self._made[scheme]

    def read(self, uri: str) -> bytes:
        return self.store_for(uri).read(uri)

    def write(self, uri: str, content: bytes) -> None:
        self.store_for(uri).write(uri, content)

    def list(self, uri: str) -> Sequence[str]:
        return self.store_for(uri).list(uri)

    def download(self, uri: str, destination: Path) -> Path:
        return self.store_for(uri).download(uri, destination)

    @contextmanager
    def publish(self, uri: str, files: Mapping[str, bytes] | None = None) -> Iterator[Path]:
        with self.store_for(uri).publish(uri, files) as staging:
            yield staging
