"""The model's settings: the model served and how it is refreshed, MLflow tracking, tuning."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import AliasChoices, Field, FilePath, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from predictor.config.groups import Group
from predictor.config.served import ModelList, compact_entries, model_list, read_models_file
from predictor.domain.served import ServedModelSpec


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
    # Several models behind one server (docs/models.md): a compact list, or a YAML or JSON
    # file; either replaces model_name, model_alias and model_dir.
    models: str | None = None
    models_file: FilePath | None = None
    _models: ModelList | None = PrivateAttr(default=None)

    @field_validator("model_dir", "fallback_model_dir", "models", "models_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An empty variable unsets an image's default (docker-compose.yml's api clears the
        # serving image's PREDICTOR_MODEL_DIR=/model to follow the registry); Path("") is ".".
        return None if value == "" else value

    @model_validator(mode="after")
    def _read_models(self) -> ServingSettings:
        if self.models is not None and self.models_file is not None:
            raise PydanticCustomError("models", "set PREDICTOR_MODELS or PREDICTOR_MODELS_FILE, not both")
        where = "PREDICTOR_MODELS" if self.models is not None else f"PREDICTOR_MODELS_FILE {self.models_file}"
        try:
            if self.models is not None:
                self._models = model_list(compact_entries(self.models))
            elif self.models_file is not None:
                self._models = read_models_file(self.models_file)
        except (ValueError, OSError) as exc:
            raise PydanticCustomError(
                "models", "{where}: {reason}", {"where": where, "reason": str(exc)}
            ) from None
        return self

    @property
    def served_models(self) -> ModelList | None:
        """The models listed by ``models`` or ``models_file``; None: the one model of
        ``model_name@model_alias`` or ``model_dir``."""
        return self._models

    def specs(self, shadow_sample_percent: float = 100.0) -> tuple[ServedModelSpec, ...]:
        """The models listed, the default first (none when one model is served the usual way);
        a shadow listed without its share samples ``shadow_sample_percent`` % of the requests."""
        if self._models is None:
            return ()
        return self._models.specs(self.reload_interval_s, shadow_sample_percent)

    @property
    def default_model_dir(self) -> Path | None:
        """The exported directory the default model serves, if it serves one."""
        if self._models is None:
            return self.model_dir
        source = self.specs()[0].source
        return source if isinstance(source, Path) else None

    @property
    def model_source(self) -> str:
        """``exported`` when the default model is an exported directory (no registry, no
        mlflow), else ``registry``."""
        return "exported" if self.default_model_dir is not None else "registry"

    @property
    def registry_source(self) -> str:
        """``registry`` when any model served follows the registry, else ``exported``."""
        if self._models is None:
            return self.model_source
        return "exported" if all(spec.exported for spec in self.specs()) else "registry"

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
