"""Test helpers for Secrets Manager: fake credentials, and a secret put version by version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
import pytest

REGION = "us-east-1"


def fake_aws_environment(monkeypatch: pytest.MonkeyPatch, endpoint_url: str | None = None) -> None:
    """Credentials that are obviously fake, one region, and (for moto's server) its endpoint."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    if endpoint_url is None:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint_url)


def secrets_client(endpoint_url: str | None = None) -> Any:
    return boto3.client("secretsmanager", region_name=REGION, endpoint_url=endpoint_url)


def put_versions(client: Any, name: str, values: Sequence[str]) -> None:
    """Create ``name`` with the first value, then put each next one, as a rotation does."""
    client.create_secret(Name=name, SecretString=values[0])
    for value in values[1:]:
        client.put_secret_value(SecretId=name, SecretString=value)
