"""Fake AWS for tests: moto in process (``mock_aws``) or moto's server on a loopback port,
with fake credentials in the environment, so nothing can reach a real AWS endpoint."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.moto_api._internal.models import moto_api_backend
from moto.server import ThreadedMotoServer

from tests.servers import free_port

BUCKET = "predictor-test"
REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}
# Settings from the developer's machine that could send a request elsewhere.
_LOCAL_AWS = (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_CONFIG_FILE",
)


def fake_aws_env(monkeypatch: pytest.MonkeyPatch, endpoint: str | None = None) -> None:
    for name in _LOCAL_AWS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    if endpoint is not None:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)


def s3_client(endpoint: str | None = None) -> Any:  # boto3 ships no types
    return boto3.client("s3", region_name=REGION, endpoint_url=endpoint)


@contextmanager
def in_process_s3(monkeypatch: pytest.MonkeyPatch, *buckets: str) -> Iterator[Any]:
    """moto's ``mock_aws`` with ``buckets`` created; yields a client."""
    fake_aws_env(monkeypatch)
    with mock_aws():
        client = s3_client()
        for bucket in buckets:
            client.create_bucket(Bucket=bucket)
        yield client


@contextmanager
def moto_server(*buckets: str, port: int | None = None) -> Iterator[str]:
    """moto's server as a real HTTP endpoint on 127.0.0.1 (on ``port``, else a free one), with
    ``buckets`` created in its S3; yields its URL. The caller sets the environment
    (``fake_aws_env`` or ``server_env``)."""
    port = free_port() if port is None else port
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    with fresh_moto():
        server.start()
        try:
            url = f"http://127.0.0.1:{port}"
            client = boto3.client(
                "s3",
                endpoint_url=url,
                region_name=REGION,
                aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            )
            for bucket in buckets:
                client.create_bucket(Bucket=bucket)
            yield url
        finally:
            server.stop()


@contextmanager
def fresh_moto() -> Iterator[None]:
    """moto's backends empty on entry and on exit.

    moto keeps its state in process-wide backends that every server (and ``mock_aws``) in the
    process shares, so what one test leaves there another would find: each starts empty (and
    reads the MOTO_* settings afresh) and leaves nothing. A test that stops and restarts its
    own servers wraps them all in one ``fresh_moto``, so a restart keeps the state, as AWS would.
    """
    reset_moto()
    try:
        yield
    finally:
        reset_moto()


def reset_moto() -> None:
    """Empty every moto backend of this process, as the servers' ``/moto-api/reset`` does."""
    moto_api_backend.reset()


def server_env(endpoint: str) -> dict[str, str]:
    """The environment a subprocess needs to reach moto's server and nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **env,
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_CONFIG_FILE": os.devnull,
    }


def handler_zip(answer: str = "") -> bytes:
    """A Lambda function's zip whose handler returns ``answer``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", f"def handler(event, context):\n    return {answer!r}\n")
    return buffer.getvalue()


def lambda_function(name: str, code: bytes) -> Any:  # boto3 ships no types
    """A Lambda client of the fake AWS in the environment, with function ``name`` created from
    ``code`` (behind a role made for it: Lambda wants one)."""
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="predictor-lambda", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}'
    )["Role"]["Arn"]
    client = boto3.client("lambda", region_name=REGION)
    client.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler", Code={"ZipFile": code}
    )
    return client
