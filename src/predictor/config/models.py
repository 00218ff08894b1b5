"""The model's settings: the model served and how it is refreshed, MLflow tracking, tuning."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator

from predictor.config.groups import Group


class RefreshMode(StrEnum):
    BACKGROUND = "background"  # a task of the serving process looks every reload_interval_s
    ON_REQUEST = "on_request"  # the first request after reload_interval_s looks (AWS Lambda)


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
    # /invocations reads bodies as `mlflow models serve` does (NaN, extra columns, Parquet …);
    # true: only what the model's schema names exactly, as /predict does.
    invocations_strict: bool = False

    @field_validator("model_dir", "fallback_model_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An empty variable unsets an image's default (docker-compose.yml's api clears the
        # serving image's PREDICTOR_MODEL_DIR=/model to follow the registry); Path("") is ".".
        return None if value == "" else value

    @property
    def model_source(self) -> str:
        """``exported`` when an exported directory is served (no registry, no mlflow), else ``registry``."""
        return "exported" if self.model_dir is not None else "registry"

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_name}@{self.model_alias}"


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


class ClusterSettings(Group):
    """`predictor train --engine dask`: how XGBoost's workers reach each other (docs/scale.md)."""

    # Where XGBoost's tracker listens (it runs in the scheduler's process): an address of the
    # scheduler's machine that every worker reaches; unset, the scheduler's own host.
    dask_tracker_host: str | None = None
    dask_tracker_port: int = Field(default=0, ge=0, le=65535)  # 0: any free port
    # How long a worker waits for its peers in one collective step before the run fails.
    dask_collective_timeout_s: int = Field(default=300, ge=10)
