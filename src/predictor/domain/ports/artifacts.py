"""Files addressed by URI, so that artifacts (exports today; training data and model copies
next) move the same way to local disk and to object stores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol


class ArtifactStore(Protocol):
    """Files at URIs: ``file://`` URIs and plain paths (``LocalArtifactStore``), ``s3://`` next.

    A URI names one file, or a directory: the files under it, at ``/``-separated relative
    paths. Every method raises ``ConfigurationError`` when the URI cannot be used (a scheme
    the store does not handle, permission denied, a file where a directory is expected) and
    ``ModelUnavailable`` when the store cannot be reached.
    """

    def read(self, uri: str) -> bytes:
        """The content of the file at ``uri``. Raises ``ConfigurationError`` when there is none."""
        ...

    def write(self, uri: str, content: bytes) -> None:
        """Create or replace the file at ``uri``: a reader sees the old content or the new,
        never part of it."""
        ...

    def list(self, uri: str) -> Sequence[str]:
        """The files under the directory ``uri``, as relative paths, sorted; empty when
        nothing is there."""
        ...

    def download(self, uri: str, destination: Path) -> Path:
        """Copy the files under the directory ``uri`` into the local directory ``destination``
        (created when missing), at their relative paths; return ``destination``. Raises
        ``ConfigurationError`` when nothing is there."""
        ...

    def publish(self, uri: str, files: Mapping[str, bytes] | None = None) -> AbstractContextManager[Path]:
        """A new, empty local directory to fill in the block. When the block ends normally,
        its files and ``files`` (relative path -> content, written after the others, so that
        one of them can mark the directory complete) appear at the directory ``uri``, which
        must hold no file: all at once where the store can rename (local disk), else in that
        order. When the block raises, nothing appears. The local directory is gone afterwards."""
        ...
