"""Secrets Manager's rotation function for the API-keys secret.

Secrets Manager calls it four times per rotation, with ``Step`` set to ``createSecret``,
``setSecret``, ``testSecret`` and ``finishSecret`` and the new version's ``ClientRequestToken``:

- ``createSecret`` puts an ``AWSPENDING`` version holding one new client key (and one new admin
  key when the secret has admin keys), ``{"api_keys": [...], "admin_keys": [...]}``. A secret
  that holds no ``api_keys`` yet (the stack creates it that way) gets its first key here.
- ``setSecret`` has nothing to do: the keys are checked only by predictor, which reads them.
- ``testSecret`` checks the pending version is what the service accepts.
- ``finishSecret`` moves ``AWSCURRENT`` to it. Secrets Manager then labels the version before it
  ``AWSPREVIOUS``, and predictor accepts a key from either: a client has one rotation period to
  move to the new key (docs/aws.md, "Rotation").

Keys come from Python's ``secrets``, not ``GetRandomPassword``, so the role needs no ``*``
resource. A step that fails leaves ``AWSCURRENT`` where it was. It logs step names and version
ids, never a key. Standard library and boto3 only: Lambda's Python runtime ships boto3.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Protocol

PENDING = "AWSPENDING"
CURRENT = "AWSCURRENT"
KEY_BYTES = 32


class RotationError(Exception):
    """A rotation step that cannot go on; Secrets Manager marks the rotation failed."""


class SecretsClient(Protocol):
    exceptions: Any

    def describe_secret(self, *, SecretId: str) -> dict[str, Any]: ...
    def get_secret_value(self, **kwargs: str) -> dict[str, Any]: ...
    def put_secret_value(self, **kwargs: Any) -> dict[str, Any]: ...
    def update_secret_version_stage(self, **kwargs: str) -> dict[str, Any]: ...


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


def next_keys(current: str) -> dict[str, list[str]]:
    """The pending version's value: a new key in place of each non-empty list of ``current``."""
    try:
        value = json.loads(current)
    except json.JSONDecodeError as exc:
        raise RotationError(f"the current version is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise RotationError('the current version must be a JSON object {"api_keys": [...], ...}')
    admin = value.get("admin_keys") or []
    if not isinstance(admin, list):
        raise RotationError("admin_keys in the current version must be a list")
    return {"api_keys": [new_key()], "admin_keys": [new_key()] if admin else []}


def check_keys(text: str) -> None:
    """What the service accepts: JSON with a non-empty list of non-empty string ``api_keys``."""
    value = json.loads(text)
    keys = value.get("api_keys") if isinstance(value, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise RotationError("the pending version holds no API key")


def stages_of(client: SecretsClient, secret_id: str) -> dict[str, list[str]]:
    stages: dict[str, list[str]] = client.describe_secret(SecretId=secret_id).get("VersionIdsToStages", {})
    return stages


def create_secret(client: SecretsClient, secret_id: str, token: str) -> None:
    try:
        client.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage=PENDING)
    except client.exceptions.ResourceNotFoundException:
        pass  # Secrets Manager's placeholder for the new version holds no value yet
    else:
        return  # a retried createSecret: the pending version is already there
    current = client.get_secret_value(SecretId=secret_id, VersionStage=CURRENT)["SecretString"]
    client.put_secret_value(
        SecretId=secret_id,
        ClientRequestToken=token,
        SecretString=json.dumps(next_keys(current)),
        VersionStages=[PENDING],
    )


def check_pending(client: SecretsClient, secret_id: str, token: str) -> None:
    pending = client.get_secret_value(SecretId=secret_id, VersionId=token, VersionStage=PENDING)
    check_keys(pending["SecretString"])


def finish_secret(client: SecretsClient, secret_id: str, token: str) -> None:
    stages = stages_of(client, secret_id)
    current = next((version for version, labels in stages.items() if CURRENT in labels), None)
    if current == token:
        return  # a retried finishSecret
    moved = {"SecretId": secret_id, "VersionStage": CURRENT, "MoveToVersionId": token}
    client.update_secret_version_stage(**moved, **({"RemoveFromVersionId": current} if current else {}))


def rotate(event: dict[str, str], client: SecretsClient) -> str:
    """Run the step ``event`` names; answers the step's name."""
    step, secret_id, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
    if step != "createSecret" and token not in stages_of(client, secret_id):
        raise RotationError(f"version {token} is not a version of secret {secret_id}")
    if step == "createSecret":
        create_secret(client, secret_id, token)
    elif step == "testSecret":
        check_pending(client, secret_id, token)
    elif step == "finishSecret":
        finish_secret(client, secret_id, token)
    elif step != "setSecret":
        raise RotationError(f"unknown rotation step {step!r}")
    print(json.dumps({"event": "rotation step done", "step": step, "version": token}))  # noqa: T201
    return step


def handler(event: dict[str, str], context: object) -> str:
    import boto3

    return rotate(event, boto3.client("secretsmanager"))
