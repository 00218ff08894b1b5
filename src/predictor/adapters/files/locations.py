"""Where table files live, as pyarrow file systems: local paths and ``file://`` URIs, or
``s3://bucket/key``. Everything the files adapters know about S3 is in this module.

S3 goes through ``pyarrow.fs.S3FileSystem``, which streams (ranged reads, multipart writes)
and takes credentials from the AWS default chain (environment, ``~/.aws``, an IAM role), as
boto3 does. The endpoint and region come from the same variables boto3 reads
(``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``; ``AWS_REGION`` or ``AWS_DEFAULT_REGION``),
so one environment points both at the same S3 (moto in tests).
"""

from __future__ import annotations

import fnmatch
import glob
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.fs as pafs

from predictor.adapters.files.artifacts import local_path
from predictor.domain.errors import ConfigurationError, DataError, ModelUnavailable, PredictorError

_S3 = "s3://"
# What Arrow's AWS errors say, in the domain's words.
_DENIED = ("ACCESS_DENIED", "AccessDenied", "403")
_NO_BUCKET = ("NoSuchBucket", "NO_SUCH_BUCKET", "bucket does not exist")
_UNREACHABLE = ("NETWORK_CONNECTION", "curlCode", "Connection refused", "connect")


@dataclass(frozen=True)
class Location:
    """A file on a pyarrow file system: ``path`` is that file system's (``bucket/key`` on S3)."""

    uri: str  # as the user wrote it, for messages
    filesystem: pafs.FileSystem
    path: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix.lower()

    def sibling(self, suffix: str) -> Location:
        """The file beside this one; messages still name this one (the user's)."""
        return Location(self.uri, self.filesystem, self.path + suffix)


def is_s3(location: str | os.PathLike[str]) -> bool:
    return os.fspath(location).startswith(_S3)


def locate(location: str | os.PathLike[str]) -> Location:
    """The file system and path of a local path, a ``file://`` URI or an ``s3://`` URI."""
    uri = os.fspath(location)
    if is_s3(uri):
        key = uri.removeprefix(_S3)
        if not key.partition("/")[0] or not key.partition("/")[2]:
            raise ConfigurationError(f"{uri} names no object; use s3://BUCKET/KEY")
        return Location(uri, _s3_filesystem(), key)
    return Location(uri, pafs.LocalFileSystem(), str(local_path(uri).absolute()))


def locate_folder(location: str | os.PathLike[str]) -> Location:
    """The file system and path of a folder: a local path, a ``file://`` URI or
    ``s3://BUCKET[/PREFIX]`` (its path is ``bucket[/prefix]``, without a trailing slash)."""
    uri = os.fspath(location)
    if is_s3(uri):
        path = uri.removeprefix(_S3).strip("/")
        if not path.partition("/")[0]:
            raise ConfigurationError(f"{uri} names no bucket; use s3://BUCKET/PREFIX")
        return Location(uri, _s3_filesystem(), path)
    return Location(uri, pafs.LocalFileSystem(), str(local_path(uri).absolute()))


def _s3_filesystem() -> pafs.S3FileSystem:
    env = os.environ
    return pafs.S3FileSystem(
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
        endpoint_override=env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None,
        connect_timeout=5,
        request_timeout=60,
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=3),
        check_directory_existence_before_creation=False,
    )


# An S3 read is one ranged GET: reads this size keep requests few, and memory flat.
S3_READ_BYTES = 8 << 20


def sequential(location: Location, raw: pa.NativeFile) -> pa.NativeFile:
    """``raw`` for reading front to back: on S3 through a buffer of ``S3_READ_BYTES``, so that
    a CSV parser's small reads do not each become a request. ``raw.tell()`` still tells how
    far the file has been fetched."""
    if isinstance(location.filesystem, pafs.S3FileSystem):
        return pa.BufferedInputStream(raw, S3_READ_BYTES)
    return raw


def s3_failure(uri: str, exc: OSError) -> PredictorError:
    """An OSError from Arrow's S3 client as a domain error naming ``uri`` (not a credential)."""
    text = str(exc)
    if any(word in text for word in _NO_BUCKET):
        return ConfigurationError(f"{uri}: the bucket does not exist")
    if any(word in text for word in _DENIED):
        return ConfigurationError(f"{uri}: access denied; check the IAM policy of these credentials")
    if any(word in text for word in _UNREACHABLE):
        return ModelUnavailable(f"S3 cannot be reached for {uri}")
    return DataError(f"cannot use {uri}: {text.splitlines()[0] if text else type(exc).__name__}")


@contextmanager
def reaching(location: Location) -> Iterator[None]:
    """S3 failures in the block as domain errors; local ones stay as they are."""
    try:
        yield
    except OSError as exc:
        if isinstance(location.filesystem, pafs.S3FileSystem):
            raise s3_failure(location.uri, exc) from exc
        raise


def check_file(location: Location) -> int:
    """The size of the file at ``location``; ``DataError`` when there is none."""
    with reaching(location):
        info = location.filesystem.get_file_info(location.path)
    if info.type != pafs.FileType.File:
        raise DataError(f"no such file: {location.uri}")
    return int(info.size or 0)


@contextmanager
def local_copy(uri: str) -> Iterator[Path]:
    """A local path holding the file at ``uri``: the path itself, or a temporary copy of an
    ``s3://`` object under its own name (removed afterwards)."""
    if not is_s3(uri):
        yield Path(uri)
        return
    location = locate(uri)
    check_file(location)
    with tempfile.TemporaryDirectory(prefix="predictor-s3-") as tmp:
        target = Path(tmp) / location.name
        with reaching(location):
            pafs.copy_files(location.path, str(target), source_filesystem=location.filesystem)
        yield target


def s3_table_files(uri: str, suffixes: frozenset[str]) -> list[str]:
    """The table files an ``s3://`` URI names, as ``s3://`` URIs sorted by key: the object
    itself, the objects under a prefix (``s3://bucket/parts/``), or those a glob in the key
    matches (``s3://bucket/parts/*.parquet``; the glob's folder is listed, not its subfolders)."""
    bucket, _, key = uri.removeprefix(_S3).partition("/")
    if not bucket:
        raise ConfigurationError(f"{uri} names no bucket; use s3://BUCKET/PREFIX")
    filesystem = _s3_filesystem()
    pattern = key if glob.has_magic(key) else None
    folder = key.rsplit("/", 1)[0] if pattern is not None else key.rstrip("/")
    try:
        if pattern is None and filesystem.get_file_info(f"{bucket}/{folder}").is_file:
            return [uri]
        found = filesystem.get_file_info(pafs.FileSelector(f"{bucket}/{folder}", allow_not_found=True))
    except OSError as exc:
        raise s3_failure(uri, exc) from exc
    keys = sorted(
        info.path.partition("/")[2]
        for info in found
        if info.is_file and PurePosixPath(info.path).suffix.lower() in suffixes
    )
    if pattern is not None:
        keys = [k for k in keys if fnmatch.fnmatchcase(k, pattern)]
    return [f"{_S3}{bucket}/{k}" for k in keys]
