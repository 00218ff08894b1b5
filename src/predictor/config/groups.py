"""The groups of settings, and the choices some of them take (``StrEnum``s).

Each group is a pydantic-settings ``BaseSettings`` reading ``PREDICTOR_<FIELD>`` for each of its
fields (the prefix is shared, so variables keep the names they had before there were groups).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, DirectoryPath, Field, FilePath, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "PREDICTOR_"
# Names of secrets read through the SecretStore port (the env store reads them as variables).
API_KEYS_SECRET = "PREDICTOR_API_KEYS"  # noqa: S105  # the secret's name, not its value
ADMIN_API_KEYS_SECRET = "PREDICTOR_ADMIN_API_KEYS"  # noqa: S105  # likewise


class Profile(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class MetricsSinkKind(StrEnum):
    EMF = "emf"  # CloudWatch Embedded Metric Format lines on stdout (Lambda, the CloudWatch agent)
    CLOUDWATCH = "cloudwatch"  # PutMetricData from the background flush (containers)
    NONE = "none"


class SecretStoreKind(StrEnum):
    ENV = "env"  # environment variables, then the .env file, then the secrets directory
    AWS = "aws"  # one JSON secret in AWS Secrets Manager, read again every keys_ttl_s


class RefreshMode(StrEnum):
    BACKGROUND = "background"  # a task of the serving process looks every reload_interval_s
    ON_REQUEST = "on_request"  # the first request after reload_interval_s looks (AWS Lambda)


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


# A comma-separated variable: split here, not decoded as JSON as pydantic-settings would.
CommaList = Annotated[tuple[str, ...], NoDecode]


def _split(value: object) -> object:
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return value


class Group(BaseSettings):
    """A group of settings, each read from ``PREDICTOR_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore", frozen=True, populate_by_name=True
    )


class ServingSettings(Group):
    """The served model: ``models:/<model_name>@<model_alias>``, or an exported directory."""

    model_name: str = "demo"
    model_alias: str = "production"
    # An exported model directory (`predictor export`) served as it is, without any registry.
    model_dir: Path | None = None
    # An exported directory served when the registry is unreachable at start-up and nothing is cached.
    fallback_model_dir: Path | None = None
    # Hot reload: seconds between looks at the alias (0: never), and whether a new version may
    # change what clients send (features, kinds, categories) or get back (task, labels).
    reload_interval_s: float = Field(default=30.0, ge=0)
    # Who looks when the interval has passed: a background task, or the next request (a process
    # frozen between requests, as on AWS Lambda, runs no background task).
    refresh: RefreshMode = RefreshMode.BACKGROUND
    allow_breaking_changes: bool = False
    # Downloaded model versions and the last good version per alias.
    cache_dir: Path = Path(".predictor/cache")
    max_rows: int = Field(default=10_000, ge=1)
    # Bodies over 1 MiB are read and encoded in up to this many decoder processes per worker,
    # started on the first such body (0: on a thread of the worker, holding its GIL).
    decoder_processes: int = Field(default=1, ge=0, le=64)
    # Binary classifiers label a row positive when P(positive) >= this; requests may override it.
    decision_threshold: float = Field(default=0.5, gt=0, lt=1)

    @property
    def model_source(self) -> str:
        """``exported`` when an exported directory is served (no registry, no mlflow), else ``registry``."""
        return "exported" if self.model_dir is not None else "registry"

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_name}@{self.model_alias}"


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

    _split_proxies = field_validator("trusted_proxies", mode="before")(_split)

    @model_validator(mode="after")
    def _secret_named(self) -> SecuritySettings:
        if self.secret_store is SecretStoreKind.AWS and not self.keys_secret_id:
            raise ValueError(
                "PREDICTOR_SECRET_STORE=aws needs PREDICTOR_KEYS_SECRET_ID, "
                "the name or ARN of the keys' secret"
            )
        return self


class TrackingSettings(Group):
    """MLflow: the tracking and registry store, and `predictor mlflow-server`'s own stores."""

    mlflow_tracking_uri: str = Field(
        default="sqlite:///mlflow.db",
        validation_alias=AliasChoices("PREDICTOR_MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI"),
    )
    artifact_root: str = "mlartifacts"
    experiment: str = "predictor"
    # Required by `predictor mlflow-server` in the prod profile.
    mlflow_backend_store_uri: str | None = None
    mlflow_artifacts_destination: str | None = None


class TuningSettings(Group):
    """`predictor train --trials/--timeout`: trials run this many at a time, one XGBoost thread
    each (docs/training.md says why)."""

    tuning_parallel_trials: int = Field(default=2, ge=1, le=64)


class MetricsSettings(Group):
    """Request metrics, aggregated per request and published every metrics_flush_s (0: at shutdown)
    to the metrics sink; Prometheus's /metrics (admin key) when prometheus_enabled (docs/operations.md)."""

    metrics_sink: MetricsSinkKind = MetricsSinkKind.EMF
    metrics_flush_s: float = Field(default=10.0, ge=0)
    # The CloudWatch namespace of the EMF and PutMetricData sinks.
    metrics_namespace: str = Field(default="predictor", min_length=1, max_length=255)
    # PutMetricData: connect and read timeouts and attempts (botocore's standard retries) per call.
    cloudwatch_connect_timeout_s: float = Field(default=2.0, gt=0, le=60)
    cloudwatch_read_timeout_s: float = Field(default=5.0, gt=0, le=60)
    cloudwatch_max_attempts: int = Field(default=3, ge=1, le=10)
    # The ColdStart metric's dimension; Lambda sets AWS_LAMBDA_FUNCTION_NAME.
    function_name: str | None = Field(
        default=None, validation_alias=AliasChoices("PREDICTOR_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_NAME")
    )
    prometheus_enabled: bool = False
    # With Prometheus on: serve /metrics on this port of PREDICTOR_HOST instead, without a key
    # (keep the port from clients by the network); unset: on the service's port, for an admin key.
    prometheus_port: int | None = Field(default=None, ge=1, le=65535)

    @property
    def prometheus(self) -> str:
        """``on`` or ``off``: the key of the container's Prometheus selector."""
        return "on" if self.prometheus_enabled else "off"


class LoggingSettings(Group):
    log_level: LogLevel = LogLevel.INFO
    log_json: bool = False  # the prod profile's default is True

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class ProfileSettings(Group):
    profile: Profile = Profile.DEV


class SourceSettings(BaseSettings):
    """Where the other settings are read from: read from the environment alone."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore", frozen=True, validate_default=False
    )

    env_file: FilePath | None = Path(".env")  # a missing default .env is no error; a named one is
    secrets_dir: DirectoryPath | None = None
