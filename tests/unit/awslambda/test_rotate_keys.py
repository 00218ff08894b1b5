"""deploy/hooks/rotate_keys.py, the API-keys secret's rotation function, on moto's Secrets Manager.

Each rotation runs the four steps Secrets Manager runs, with a new version token; what it
produces is read back through the service's own reader (``SecretsManagerSecretStore`` and
``json_secret_reader``), so "the service accepts it" means the code that checks requests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto import mock_aws

from predictor.adapters.aws.secrets import SecretsManagerSecretStore
from predictor.domain.errors import Unauthorized
from predictor.services.serving.key_secret import ServiceKeys, json_secret_reader
from tests.aws_secrets import fake_aws_environment, secrets_client
from tests.unit.awslambda.stack_functions import stack_function

rotate_keys = stack_function("rotate_keys")

NAME = "predictor/api-keys"
# What deploy/template.yaml's GenerateSecretString creates: no API key until the first rotation.
STACK_SEED = json.dumps({"admin_keys": [], "api_keys_seed": "x" * 32})
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fake_aws_environment(monkeypatch)
    with mock_aws():
        yield secrets_client()


def rotation(client: Any, steps: tuple[str, ...] = STEPS) -> str:
    token = str(uuid.uuid4())
    for step in steps:
        rotate_keys.rotate({"Step": step, "SecretId": NAME, "ClientRequestToken": token}, client)
    return token


def served_keys(client: Any) -> ServiceKeys:
    keys: ServiceKeys = json_secret_reader(SecretsManagerSecretStore(client), NAME)()
    return keys


def stage(client: Any, label: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        client.get_secret_value(SecretId=NAME, VersionStage=label)["SecretString"]
    )
    return value


def test_the_stacks_seed_secret_gets_its_first_api_key_and_the_service_accepts_it(client: Any) -> None:
    client.create_secret(Name=NAME, SecretString=STACK_SEED)

    rotation(client)

    (key,) = stage(client, "AWSCURRENT")["api_keys"]
    assert served_keys(client).clients.check(key)
    assert stage(client, "AWSCURRENT")["admin_keys"] == []


def test_a_client_has_one_rotation_period_to_move_to_the_new_key(client: Any) -> None:
    client.create_secret(Name=NAME, SecretString=STACK_SEED)
    rotation(client)
    (first,) = stage(client, "AWSCURRENT")["api_keys"]

    rotation(client)
    (second,) = stage(client, "AWSCURRENT")["api_keys"]
    assert second != first
    assert served_keys(client).clients.check(first)  # AWSPREVIOUS still passes
    assert served_keys(client).clients.check(second)

    rotation(client)
    with pytest.raises(Unauthorized):
        served_keys(client).clients.check(first)


def test_admin_keys_are_rotated_when_the_secret_has_them(client: Any) -> None:
    old_admin = "admin-key-0123456789abcdef"
    client.create_secret(
        Name=NAME,
        SecretString=json.dumps({"api_keys": ["client-key-0123456789ab"], "admin_keys": [old_admin]}),
    )

    rotation(client)

    (admin,) = stage(client, "AWSCURRENT")["admin_keys"]
    assert admin != old_admin
    assert served_keys(client).admin.check(admin)


def test_a_retried_step_changes_nothing(client: Any) -> None:
    client.create_secret(Name=NAME, SecretString=STACK_SEED)
    token = rotation(client, ("createSecret",))
    pending = client.get_secret_value(SecretId=NAME, VersionStage="AWSPENDING")["SecretString"]

    for step in ("createSecret", *STEPS, "finishSecret"):
        rotate_keys.rotate({"Step": step, "SecretId": NAME, "ClientRequestToken": token}, client)

    assert client.get_secret_value(SecretId=NAME, VersionStage="AWSCURRENT")["SecretString"] == pending
    stages = client.describe_secret(SecretId=NAME)["VersionIdsToStages"]
    assert [version for version, labels in stages.items() if "AWSCURRENT" in labels] == [token]


def test_a_current_version_that_is_not_json_stops_the_rotation_and_changes_nothing(client: Any) -> None:
    client.create_secret(Name=NAME, SecretString="{not json")

    with pytest.raises(rotate_keys.RotationError, match="the current version is not JSON"):
        rotation(client)

    assert client.get_secret_value(SecretId=NAME, VersionStage="AWSCURRENT")["SecretString"] == "{not json"
    stages = client.describe_secret(SecretId=NAME)["VersionIdsToStages"]
    assert list(stages.values()) == [["AWSCURRENT"]]


def test_a_pending_version_the_service_would_refuse_never_becomes_current(client: Any) -> None:
    client.create_secret(Name=NAME, SecretString=STACK_SEED)
    token = str(uuid.uuid4())
    client.put_secret_value(
        SecretId=NAME, ClientRequestToken=token, SecretString=STACK_SEED, VersionStages=["AWSPENDING"]
    )

    with pytest.raises(rotate_keys.RotationError, match="holds no API key"):
        rotate_keys.rotate({"Step": "testSecret", "SecretId": NAME, "ClientRequestToken": token}, client)

    assert "AWSCURRENT" not in client.describe_secret(SecretId=NAME)["VersionIdsToStages"][token]


def test_a_token_that_is_no_version_of_the_secret_is_refused(client: Any) -> None:
    client.create_secret(Name=NAME, SecretString=STACK_SEED)

    with pytest.raises(rotate_keys.RotationError, match="is not a version of secret"):
        rotation(client, ("finishSecret",))


def test_an_unknown_step_is_refused(client: Any) -> None:
    client.create_secret(Name=NAME, SecretString=STACK_SEED)
    token = rotation(client, ("createSecret",))

    with pytest.raises(rotate_keys.RotationError, match="unknown rotation step 'reboot'"):
        rotate_keys.rotate({"Step": "reboot", "SecretId": NAME, "ClientRequestToken": token}, client)


def test_the_log_names_steps_and_versions_never_a_key(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    client.create_secret(Name=NAME, SecretString=STACK_SEED)

    token = rotation(client)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["step"] for line in lines] == list(STEPS)
    assert {line["version"] for line in lines} == {token}
    (key,) = stage(client, "AWSCURRENT")["api_keys"]
    assert all(key not in json.dumps(line) for line in lines)
