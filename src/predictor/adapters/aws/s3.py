"""Artifacts in S3 (``s3://bucket/key``) behind the ``ArtifactStore`` port, through boto3.

Credentials come from boto3's default chain (environment, ``~/.aws``, an IAM role), never
from predictor's settings; ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` point it elsewhere
(moto in tests), as boto3 itself reads them. A PUT replaces an object whole, so a reader sees
the old file or the new. A published directory's files are uploaded in order, the given
``files`` last (one of them marks it complete); if an upload fails, the ones already
uploaded are deleted again.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from predictor.adapters.aws.s3_errors import MISSING, error_code, s3_errors
from predictor.domain.errors import ConfigurationError, PredictorError
from predictor.domain.ports import ArtifactStore

log = logging.getLogger(__name__)

# boto3's standard retry mode (backoff with jitter, throttling retried) and timeouts short
# enough that an unreachable endpoint is an error in seconds, not minutes.
CLIENT_CONFIG = Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=60)


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> ``("bucket", "some/key")``; anything else is refused."""
    if not uri.startswith("s3://"):
        raise ConfigurationError(f"{uri} is not an s3:// URI")
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket:
        raise ConfigurationError(f"{uri} names no bucket; use s3://BUCKET/KEY")
    return bucket, key


class S3ArtifactStore(ArtifactStore):
    """Objects in S3 buckets, as ``s3://`` URIs name them; a directory is a key prefix.

    The client is made on first use (boto3 is slow to import and to build one); a test may
    hand one in.
    """

    def __init__(self, client: Any = None) -> None:
        self._client_instance = client

    @property
    def _client(self) -> Any:  # boto3 ships no types
        if self._client_instance is None:
            self._client_instance = boto3.session.Session().client("s3", config=CLIENT_CONFIG)
        return self._client_instance

    def read(self, uri: str) -> bytes:
        bucket, key = split_uri(uri)
        with s3_errors(uri):
            return bytes(self._client.get_object(Bucket=bucket, Key=key)["Body"].read())

    def write(self, uri: str, content: bytes) -> None:
        bucket, key = split_uri(uri)
        if not key or key.endswith("/"):
            raise ConfigurationError(f"{uri} names a directory, not a file")
        with s3_errors(uri):
            self._client.put_object(Bucket=bucket, Key=key, Body=content)

    def list(self, uri: str) -> Sequence[str]:
        bucket, key = split_uri(uri)
        prefix = key.rstrip("/") + "/" if key.strip("/") else ""
        with s3_errors(uri):
            pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            names = [item["Key"].removeprefix(prefix) for page in pages for item in page.get("Contents", ())]
            if not names and key and self._exists(bucket, key):
                raise ConfigurationError(f"{uri} is a file, not a directory")
        return sorted(name for name in names if name and not name.endswith("/"))

    def _exists(self, bucket: str, key: str) -> bool:
        try:
            self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in MISSING:  # not found is an answer; the rest is translated
                return False
            raise
        return True

    def download(self, uri: str, destination: Path) -> Path:
        names = self.list(uri)
        if not names:
            raise ConfigurationError(f"nothing is stored at {uri}")
        bucket, key = split_uri(uri)
        prefix = key.rstrip("/") + "/" if key.strip("/") else ""
        for name in names:
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with s3_errors(f"{uri.rstrip('/')}/{name}"):
                self._client.download_file(bucket, prefix + name, str(target))
        return destination

    @contextmanager
    def publish(self, uri: str, files: Mapping[str, bytes] | None = None) -> Iterator[Path]:
        bucket, key = split_uri(uri)
        prefix = key.rstrip("/") + "/" if key.strip("/") else ""
        if self.list(uri):
            raise ConfigurationError(f"{uri} already holds files")
        staging = Path(tempfile.mkdtemp(prefix="predictor-s3-"))
        try:
            yield staging
            if self.list(uri):  # something appeared there meanwhile
                raise ConfigurationError(f"{uri} already holds files")
            for name, content in (files or {}).items():
                (staging / name).parent.mkdir(parents=True, exist_ok=True)
                (staging / name).write_bytes(content)
            given = list(files or {})
            block = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
            self._upload(uri, bucket, prefix, staging, [n for n in block if n not in given] + given)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _upload(self, uri: str, bucket: str, prefix: str, staging: Path, names: Sequence[str]) -> None:
        done: list[str] = []
        try:
            for name in names:
                with s3_errors(f"{uri.rstrip('/')}/{name}"):
                    self._client.upload_file(str(staging / name), bucket, prefix + name)
                done.append(prefix + name)
        except PredictorError:
            self._delete(bucket, done)
            raise

    def _delete(self, bucket: str, keys: Sequence[str]) -> None:
        """Best effort: the upload's own error is the one to report."""
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1000 keys a call
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            try:
                self._client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            except Exception:  # noqa: BLE001  # logged; the upload's error is raised
                log.warning("could not delete %d partly published objects in %s", len(batch), bucket)
