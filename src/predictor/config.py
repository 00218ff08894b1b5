"""Settings: one object, read from ``PREDICTOR_*`` environment variables, per profile.

Environment variables are read here, by name (case-insensitively), and validated by pydantic
as plain strings, which it converts to each field's type (booleans accept true/false, 1/0,
yes/no, on/off). pydantic-settings did the same, at a cost to a serving process's start
measured in docs/performance.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from predictor.domain.errors import ConfigurationError

ENV_PREFIX = "PREDICTOR_"
# Names of secrets read through the SecretStore port (the env store reads them as variables).
API_KEYS_SECRET = "PREDICTOR_API_KEYS"  # noqa: S105  # the secret's name, not its value
ADMIN_API_KEYS_SECRET = "PREDICTOR_ADMIN_API_KEYS"  # noqa: S105  # likewise


class Profile(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class Settings(BaseModel):
    """Every setting predictor reads. Environment variables are ``PREDICTOR_<FIELD>``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    profile: Profile = Profile.DEV

    # The served model: models:/<model_name>@<model_alias>
    model_name: str = "demo"
    model_alias: str = "production"
    # An exported model directory (`predictor export`) served as it is, without any registry.
    model_dir: Path | None = None
    # An exported directory served when the registry is unreachable at start-up and nothing is cached.
    fallback_model_dir: Path | None = None
    # Hot reload: seconds between looks at the alias (0: never), and whether a new version may
    # change what clients send (features, kinds, categories) or get back (task, labels).
    reload_interval_s: float = Field(default=30.0, ge=0)
    allow_breaking_changes: bool = False

    # MLflow: PREDICTOR_MLFLOW_TRACKING_URI, falling back to MLflow's own MLFLOW_TRACKING_URI.
    mlflow_tracking_uri: str = "sqlite:///mlflow.db"
    artifact_root: str = "mlartifacts"
    experiment: str = "predictor"
    cache_dir: Path = Path(".predictor/cache")
    # `predictor mlflow-server`: the tracking server's own stores (required in the prod profile).
    mlflow_backend_store_uri: str | None = None
    mlflow_artifacts_destination: str | None = None

    # Tuning (`predictor train --trials/--timeout`): trials run this many at a time, one
    # XGBoost thread each; see docs/training.md for why, and docs/performance.md for the figures.
    tuning_parallel_trials: int = Field(default=2, ge=1, le=64)

    # HTTP
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    max_rows: int = Field(default=10_000, ge=1)
    # Binary classifiers label a row positive when P(positive) >= this; requests may override it.
    decision_threshold: float = Field(default=0.5, gt=0, lt=1)
    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    # Bodies over 64 KiB are read and encoded in up to this many decoder processes per worker,
    # started on the first such body (0: on a thread of the worker, holding its GIL).
    decoder_processes: int = Field(default=1, ge=0, le=64)
    cors_origins: tuple[str, ...] = ()
    cors_allow_credentials: bool = False
    docs_enabled: bool = True
    docs_require_key: bool = False

    # Connections (per worker): how long a client may take to send its request line and
    # headers, then its body; how long an idle keep-alive connection stays open; how many
    # connections are open at once (at the cap, the one that has waited longest for its
    # headers makes room for a newcomer). docs/api.md#security.
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=60.0, gt=0)
    keep_alive_timeout_s: float = Field(default=5.0, gt=0)
    max_connections: int = Field(default=1000, ge=1)

    # Transport security: refuse plain HTTP (health checks excepted), and the proxies whose
    # X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks; none by default).
    require_https: bool = False
    trusted_proxies: tuple[str, ...] = ()

    # Brakes (per worker): failed authentications per client address (a token bucket of
    # auth_failure_burst, refilled at auth_failure_rate_per_s; burst 0 turns it off), and an
    # optional request rate per API key (0: no limit).
    auth_failure_burst: int = Field(default=20, ge=0)
    auth_failure_rate_per_s: float = Field(default=0.2, gt=0)
    key_rate_per_s: float = Field(default=0.0, ge=0)
    key_burst: int = Field(default=100, ge=1)

    # Metrics: aggregated per request, published every metrics_flush_s seconds (0 = never).
    metrics_sink: str = Field(default="emf", pattern="^(emf|none)$")
    metrics_flush_s: float = Field(default=10.0, ge=0)

    # Secrets and logging
    secret_store: str = Field(default="env", pattern="^(env)$")
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    log_json: bool | None = None

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _cors_credentials(self) -> Settings:
        if "*" in self.cors_origins and self.cors_allow_credentials:
            raise ValueError(
                "PREDICTOR_CORS_ORIGINS='*' cannot be combined with PREDICTOR_CORS_ALLOW_CREDENTIALS=true; "
                "list the allowed origins explicitly"
            )
        return self

    @property
    def json_logs(self) -> bool:
        return self.log_json if self.log_json is not None else self.profile is Profile.PROD

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_name}@{self.model_alias}"


# Variables read for a field instead of PREDICTOR_<FIELD>, first found wins.
ENV_NAMES: dict[str, tuple[str, ...]] = {
    "mlflow_tracking_uri": ("PREDICTOR_MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI"),
}


def environment_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The raw value of every setting present in ``environ``, by field name."""
    upper = {name.upper(): value for name, value in environ.items()}
    values = {}
    for field in Settings.model_fields:
        for name in ENV_NAMES.get(field, (f"{ENV_PREFIX}{field.upper()}",)):
            if name in upper:
                values[field] = upper[name]
                break
    return values


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, ``overrides`` winning; a bad value raises
    ConfigurationError naming the environment variable."""
    try:
        return Settings.model_validate({**environment_values(os.environ), **overrides})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "settings"
            name = f"{ENV_PREFIX}{field.upper()}" if error["loc"] else "settings"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from exc
