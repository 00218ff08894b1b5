"""``SecretsManagerSecretStore``: a rotating secret's ``AWSCURRENT`` and ``AWSPREVIOUS`` values."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from predictor.domain.errors import ConfigurationError, SecretStoreUnavailable
from predictor.domain.ports import RotatingSecretStore, SecretVersions

_NOT_FOUND = "ResourceNotFoundException"
_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnrecognizedClientException"})
_THROTTLED = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})


def secrets_manager_client(timeout_s: float, attempts: int = 3) -> Any:
    """A Secrets Manager client from boto3's default chain, with short timeouts and boto3's
    standard retry mode (backoff with jitter on throttling and transient errors)."""
    config = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        retries={"mode": "standard", "total_max_attempts": attempts},
    )
    try:
        return boto3.session.Session().client("secretsmanager", config=config)
    except NoRegionError:
        raise ConfigurationError(
            "no AWS region is configured for Secrets Manager: set AWS_REGION (or AWS_DEFAULT_REGION)"
        ) from None


class SecretsManagerSecretStore(RotatingSecretStore):
    """Reads a text secret's two stages with ``GetSecretValue``; maps every failure to a domain error."""

    def __init__(self, client: Any | None = None, *, timeout_s: float = 2.0) -> None:
        self._client: Any = client if client is not None else secrets_manager_client(timeout_s)

    def versions(self, name: str) -> SecretVersions:
        current = self._stage(name, "AWSCURRENT")
        if current is None:
            raise ConfigurationError(
                f"secret {name!r} does not exist in Secrets Manager (or has no AWSCURRENT version)"
            )
        return SecretVersions(current, self._stage(name, "AWSPREVIOUS"))

    def _stage(self, name: str, stage: str) -> str | None:
        try:
            answer = self._client.get_secret_value(SecretId=name, VersionStage=stage)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "unknown"))
            if code == _NOT_FOUND:
                return None
            raise _refused(name, code) from exc
        except NoCredentialsError as exc:
            raise SecretStoreUnavailable(
                "no AWS credentials were found for Secrets Manager (boto3's default chain: "
                "an IAM role, AWS_* variables or ~/.aws)"
            ) from exc
        except BotoCoreError as exc:
            raise SecretStoreUnavailable(
                f"Secrets Manager cannot be reached for secret {name!r} ({type(exc).__name__})"
            ) from exc
        text = answer.get("SecretString")
        if not isinstance(text, str):
            raise ConfigurationError(f"secret {name!r} holds binary data; it must be a JSON text secret")
        return text


def _refused(name: str, code: str) -> SecretStoreUnavailable:
    if code in _DENIED:
        return SecretStoreUnavailable(
            f"access to secret {name!r} is denied ({code}): the role needs secretsmanager:GetSecretValue "
            "on it (and kms:Decrypt on its key)"
        )
    if code in _THROTTLED:
        return SecretStoreUnavailable(f"Secrets Manager throttled the reads of secret {name!r} ({code})")
    return SecretStoreUnavailable(f"Secrets Manager refused to read secret {name!r} ({code})")
