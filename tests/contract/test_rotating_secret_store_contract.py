"""The ``RotatingSecretStore`` contract, run against the fake and against Secrets Manager on moto."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest
from moto import mock_aws

from predictor.adapters.aws.secrets import SecretsManagerSecretStore
from predictor.adapters.memory import InMemoryRotatingSecretStore
from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import RotatingSecretStore, SecretVersions
from tests.aws_secrets import fake_aws_environment, put_versions, secrets_client

NAME = "predictor/contract-keys"
# The store with secret NAME put version by version (no versions: no such secret).
PutSecret = Callable[[Sequence[str]], RotatingSecretStore]


@pytest.fixture(params=["memory", "secrets-manager"])
def put(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[PutSecret]:
    if request.param == "memory":

        def in_memory(values: Sequence[str]) -> RotatingSecretStore:
            store = InMemoryRotatingSecretStore()
            for value in values:
                store.put(NAME, value)
            return store

        yield in_memory
        return
    fake_aws_environment(monkeypatch)
    with mock_aws():

        def secrets_manager(values: Sequence[str]) -> RotatingSecretStore:
            if values:
                put_versions(secrets_client(), NAME, values)
            return SecretsManagerSecretStore(timeout_s=1.0)

        yield secrets_manager


def test_a_new_secret_has_a_current_version_only(put: PutSecret) -> None:
    assert put(['{"v": 1}']).versions(NAME) == SecretVersions('{"v": 1}', None)


def test_a_put_makes_the_current_version_previous(put: PutSecret) -> None:
    assert put(["one", "two"]).versions(NAME) == SecretVersions("two", "one")


def test_only_the_last_two_versions_are_in_force(put: PutSecret) -> None:
    assert put(["one", "two", "three"]).versions(NAME) == SecretVersions("three", "two")


def test_reading_twice_reads_the_same(put: PutSecret) -> None:
    store = put(["one", "two"])
    assert store.versions(NAME) == store.versions(NAME)


def test_a_missing_secret_is_a_configuration_error_naming_it(put: PutSecret) -> None:
    with pytest.raises(ConfigurationError, match=NAME):
        put([]).versions(NAME)
