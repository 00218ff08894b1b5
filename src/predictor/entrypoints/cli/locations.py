"""Click parameters for files that may live in S3: an ``s3://bucket/key`` URI goes through as
written (the store checks it), anything else is a local path, checked as ``click.Path`` does."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import click


class FileOrUri(click.ParamType[Path | str, "str | os.PathLike[str]"]):
    """A local file (``Path``) or an object store URI (``str``, e.g. ``s3://bucket/key``)."""

    name = "path_or_uri"

    def __init__(self, exists: bool = False, file_okay: bool = True, dir_okay: bool = True) -> None:
        self._local = click.Path(exists=exists, file_okay=file_okay, dir_okay=dir_okay, path_type=Path)

    def convert(
        self, value: str | os.PathLike[str], param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | str:
        if isinstance(value, str) and value.startswith("s3://"):
            if not value.removeprefix("s3://").partition("/")[0]:
                self.fail(f"{value!r} names no bucket; use s3://BUCKET/KEY", param, ctx)
            return value
        converted: Path = self._local.convert(value, param, ctx)
        return converted


def file_name(location: Path | str) -> str:
    """The last part of a path or URI, as messages name a file."""
    return location.name if isinstance(location, Path) else location.rstrip("/").rsplit("/", 1)[-1]


class TableSource(FileOrUri):
    """A table file, a directory of them or a glob (``data/*.parquet``, kept as a ``str``)."""

    name = "file_dir_or_glob"

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=True)

    def convert(
        self, value: str | os.PathLike[str], param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | str:
        if isinstance(value, str) and glob.has_magic(value) and not value.startswith("s3://"):
            return value
        return super().convert(value, param, ctx)
