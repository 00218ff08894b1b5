"""The HTTP listener's settings (`predictor serve`) and its security: transport, the brakes, API keys."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from predictor.config.groups import Group

# Names of secrets read through the SecretStore port (the env store reads them as variables).
API_KEYS_SECRET = "PREDICTOR_API_KEYS"  # noqa: S105  # the secret's name, not its value
ADMIN_API_KEYS_SECRET = "PREDICTOR_ADMIN_API_KEYS"  # noqa: S105  # likewise


class SecretStoreKind(StrEnum):
    ENV = "env"  # environment variables, then the .env file, then the secrets directory
    AWS = "aws"  # one JSON secret in AWS Secrets Manager, read again every keys_ttl_s


# A key's id, as the logs give it (services/serving/auth.py's key_id).
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")

# A comma-separated variable: split here, not decoded as JSON as pydantic-settings would.
CommaList = Annotated[tuple[str, ...], NoDecode]


def _split(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


class HttpSettings(Group):
    """`predictor serve`: the listener, its connections (per worker; docs/api.md#security), CORS, docs."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # How long a client may take to send its request line and headers, then its body; how long
    # an idle keep-alive connection stays open; how many connections are open at once.
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=60.0, gt=0)
    keep_alive_timeout_s: float = Field(default=5.0, gt=0)
    # On SIGTERM, how long requests in flight may finish before their connections are closed
    # (uvicorn's timeout_graceful_shutdown); unset: as long as they take. Keep it under the
    # orchestrator's kill timeout (docker stop: 10 s; Kubernetes: 30 s).
    graceful_shutdown_s: int | None = Field(default=None, ge=1)
    max_connections: int = Field(default=1000, ge=1)
    cors_origins: CommaList = ()
    cors_allow_credentials: bool = False
    docs_enabled: bool = True
    docs_require_key: bool = False

    _split_origins = field_validator("cors_origins", mode="before")(_split)

    @model_validator(mode="after")
    def _cors_credentials(self) -> HttpSettings:
        if "*" in self.cors_origins and self.cors_allow_credentials:
            raise ValueError(
                "PREDICTOR_CORS_ORIGINS='*' cannot be combined with PREDICTOR_CORS_ALLOW_CREDENTIALS=true; "
                "list the allowed origins explicitly"
            )
        return self


class SecuritySettings(Group):
    """Transport security and the brakes (per worker); docs/api.md#security."""

    # Refuse plain HTTP (health checks excepted); the proxies whose X-Forwarded-For /
    # X-Forwarded-Proto are believed (addresses or networks; none by default).
    require_https: bool = False
    trusted_proxies: CommaList = ()
    # Failed authentications per client address: a token bucket of auth_failure_burst, refilled
    # at auth_failure_rate_per_s (burst 0 turns it off); an optional request rate per API key.
    auth_failure_burst: int = Field(default=20, ge=0)
    auth_failure_rate_per_s: float = Field(default=0.2, gt=0)
    key_rate_per_s: float = Field(default=0.0, ge=0)
    key_burst: int = Field(default=100, ge=1)
    # Where API keys come from (the SecretStore adapter). With aws: the JSON secret's name or
    # ARN, how long its keys are kept before a read, the wait after a failed read, and the
    # connect and read timeout of one Secrets Manager call (docs/aws.md#secrets-manager).
    secret_store: SecretStoreKind = SecretStoreKind.ENV
    keys_secret_id: str | None = None
    keys_ttl_s: float = Field(default=60.0, gt=0)
    keys_retry_s: float = Field(default=5.0, gt=0)
    secrets_timeout_s: float = Field(default=2.0, gt=0)
    # Client keys scoped to models: KEY_ID=MODEL[+MODEL…], comma-separated (docs/models.md).
    api_key_models: CommaList = ()

    _split_proxies = field_validator("trusted_proxies", "api_key_models", mode="before")(_split)

    @field_validator("api_key_models")
    @classmethod
    def _scopes(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        for number, entry in enumerate(entries, start=1):
            key_id, equals, models = entry.partition("=")
            if not _KEY_ID.match(key_id.strip()) or not equals or not models.strip("+ "):
                raise ValueError(
                    f"entry {number} ({entry!r}) is not KEY_ID=MODEL[+MODEL…], KEY_ID the 12 hex digits "
                    "the logs give for the key"
                )
        return entries

    @property
    def key_scopes(self) -> dict[str, frozenset[str]]:
        """The models each scoped client key may use, by key id (a key not named: every model)."""
        scopes: dict[str, frozenset[str]] = {}
        for entry in self.api_key_models:
            key_id, _, models = entry.partition("=")
            names = {name.strip() for name in models.split("+") if name.strip()}
            scopes[key_id.strip()] = scopes.get(key_id.strip(), frozenset()) | names
        return scopes

    @model_validator(mode="after")
    def _secret_named(self) -> SecuritySettings:
        if self.secret_store is SecretStoreKind.AWS and not self.keys_secret_id:
            raise ValueError(
                "PREDICTOR_SECRET_STORE=aws needs PREDICTOR_KEYS_SECRET_ID, "
                "the name or ARN of the keys' secret"
            )
        return self
