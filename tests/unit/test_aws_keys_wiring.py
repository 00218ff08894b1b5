"""The real container with PREDICTOR_SECRET_STORE=aws: Secrets Manager behind Keyrings."""

from __future__ import annotations

import json
import socket
import sys

import pytest
from moto import mock_aws

from predictor.adapters.aws.secrets import SecretsManagerSecretStore
from predictor.config import SecretStoreKind, load_settings
from predictor.container import build_container
from predictor.domain.errors import ConfigurationError, KeysUnavailable
from predictor.services.serving.keys import Keyrings
from tests.aws_secrets import fake_aws_environment, secrets_client

NAME = "predictor/api-keys"
KEY = "client-key-0123456789abcdef"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws_environment(monkeypatch)


def test_the_aws_store_needs_the_secret_named() -> None:
    with pytest.raises(ConfigurationError, match="PREDICTOR_SECRET_STORE=aws needs PREDICTOR_KEYS_SECRET_ID"):
        load_settings(secret_store=SecretStoreKind.AWS)


def test_the_real_container_reads_the_keys_from_secrets_manager() -> None:
    with mock_aws():
        secrets_client().create_secret(Name=NAME, SecretString=json.dumps({"api_keys": [KEY]}))
        container = build_container(load_settings(secret_store=SecretStoreKind.AWS, keys_secret_id=NAME))
        assert isinstance(container.adapters.secrets(), SecretsManagerSecretStore)
        keyrings = container.keyrings()
        assert isinstance(keyrings, Keyrings)
        assert keyrings.current().clients.check(KEY)


def test_start_up_does_not_fail_when_secrets_manager_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    settings = load_settings(secret_store=SecretStoreKind.AWS, keys_secret_id=NAME, secrets_timeout_s=0.2)
    keyrings = build_container(settings).keyrings()
    with pytest.raises(KeysUnavailable):
        keyrings.current()


def test_without_boto3_the_aws_store_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # as in an install without the aws extra
    monkeypatch.delitem(sys.modules, "predictor.adapters.aws.secrets", raising=False)
    container = build_container(load_settings(secret_store=SecretStoreKind.AWS, keys_secret_id=NAME))
    with pytest.raises(ConfigurationError, match=r"install predictor\[aws\]"):
        container.keyrings()
