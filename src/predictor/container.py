"""The composition root: the only place that chooses adapters.

Two adapter sets share provider names: ``RealAdapters`` here, and ``InMemoryAdapters`` in
``predictor.adapters.memory.container``, which this module never imports. One ``Container``
wires the use cases to whichever set it is given. Within the real set, ``providers.Selector``s
choose an adapter from the settings (the registry, the metrics sink, the secret store). Real
adapters are imported inside their factories, so a process that never touches MLflow never
imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from predictor.adapters.system.clock import SystemClock
from predictor.config import (
    ADMIN_API_KEYS_SECRET,
    API_KEYS_SECRET,
    AlertSettings,
    MetricsSettings,
    RefreshMode,
    Settings,
)
from predictor.domain.errors import ConfigurationError
from predictor.domain.model import ModelRef
from predictor.services.alerting import AlertGate, ErrorRateAlarm
from predictor.services.registry.catalog import DescribeModel, ListModels
from predictor.services.registry.promotion import PromoteModel, RollbackModel
from predictor.services.serving.core import ServingCore
from predictor.services.serving.explanation import ExplainPrediction
from predictor.services.serving.keeper import Backoff, ModelKeeper
from predictor.services.serving.keys import Keyrings
from predictor.services.serving.loading import LoadModel, ModelSlot
from predictor.services.serving.models import ServedModels
from predictor.services.serving.offload import BodyDecoder
from predictor.services.serving.prediction import MakePrediction
from predictor.services.serving.refresh import RefreshModel
from predictor.services.serving.telemetry import PublishMetrics, RequestMetrics

if TYPE_CHECKING:
    from predictor.adapters.files.exported import ExportedModelCatalog
    from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder
    from predictor.domain.ports import (
        Alerter,
        ArtifactStore,
        Clock,
        DatasetSource,
        ExperimentTracker,
        MetricsRecorder,
        MetricsSink,
        ModelCache,
        ModelCatalog,
        ModelRegistry,
        ModelRuntime,
        ModelTrainer,
        ReportRenderer,
        RotatingSecretStore,
        SecretStore,
        TableFiles,
        Tuner,
    )
    from predictor.services.registry.copy import CopyModel
    from predictor.services.registry.export import ExportModel
    from predictor.services.serving.batch_scoring import PredictTable
    from predictor.services.training.pipeline import TrainModel


# The training and batch use cases are imported when first built, so a serving process does
# not import the training side of the domain.
def _train_model(**dependencies: Any) -> TrainModel:
    from predictor.services.training.pipeline import TrainModel

    return TrainModel(**dependencies)


def _predict_table(**dependencies: Any) -> PredictTable:
    from predictor.services.serving.batch_scoring import PredictTable

    return PredictTable(**dependencies)


def _export_model(**dependencies: Any) -> ExportModel:
    from predictor.services.registry.export import ExportModel

    return ExportModel(**dependencies)


def _copy_model(**dependencies: Any) -> CopyModel:
    from predictor.services.registry.copy import CopyModel

    return CopyModel(**dependencies)


def _refuse_writes() -> ModelRegistry:
    from predictor.adapters.files.exported import refuse_writes

    return refuse_writes()


def _exported_catalog(model_dir: Path) -> ExportedModelCatalog:
    """An exported model directory (the one served, or the fallback), read without mlflow."""
    from predictor.adapters.files.exported import ExportedModelCatalog

    return ExportedModelCatalog(model_dir)


def _exported_cache(catalog: ExportedModelCatalog) -> ModelCache:
    """In front of the exported directory served: read in place, nothing copied or written."""
    from predictor.adapters.files.exported import ExportedModelCache

    return ExportedModelCache(catalog)


def _fallback_catalog(fallback_dir: Path | None) -> ModelCatalog | None:
    return _exported_catalog(fallback_dir) if fallback_dir is not None else None


def _mlflow_registry(tracking_uri: str) -> ModelRegistry:
    from predictor.adapters.mlflow.registry import MlflowModelRegistry

    return MlflowModelRegistry(tracking_uri)


def _mlflow_tracker(tracking_uri: str, artifact_root: str) -> ExperimentTracker:
    from predictor.adapters.mlflow.tracking import MlflowExperimentTracker

    return MlflowExperimentTracker(tracking_uri, artifact_root)


def _xgboost_runtime() -> ModelRuntime:
    from predictor.adapters.xgboost.runtime import XGBoostRuntime

    return XGBoostRuntime()


def _xgboost_trainer() -> ModelTrainer:
    from predictor.adapters.xgboost.trainer import XGBoostTrainer

    return XGBoostTrainer()


def _optuna_tuner() -> Tuner:
    from predictor.adapters.optuna.tuner import OptunaTuner

    return OptunaTuner()


def _matplotlib_renderer() -> ReportRenderer:
    from predictor.adapters.matplotlib.plots import MatplotlibReportRenderer

    return MatplotlibReportRenderer()


def _datasets() -> DatasetSource:
    from predictor.adapters.sklearn.datasets import LocalDatasetSource

    return LocalDatasetSource()


def _local_cache(root: Path) -> ModelCache:
    from predictor.adapters.files.cache import LocalModelCache

    return LocalModelCache(root)


# Artifacts by URI scheme: paths and file:// on local disk, s3:// in S3 (boto3 imported on
# the first s3:// URI, so a process that never names one never imports it).
def _s3_artifacts() -> ArtifactStore:
    from predictor.adapters.aws.s3 import S3ArtifactStore

    return S3ArtifactStore()


def _artifacts_by_scheme() -> ArtifactStore:
    from predictor.adapters.files.artifacts import LocalArtifactStore
    from predictor.adapters.files.schemes import ArtifactStoresByScheme

    return ArtifactStoresByScheme({"file": LocalArtifactStore, "s3": _s3_artifacts})


def _arrow_tables() -> TableFiles:
    from predictor.adapters.files.arrow import ArrowTableFiles

    return ArrowTableFiles()


def _environment_secrets(env_file: Path | None, secrets_dir: Path | None) -> SecretStore:
    from predictor.adapters.environment.secrets import EnvironmentSecretStore

    return EnvironmentSecretStore(env_file, secrets_dir)


def _secrets_manager(timeout_s: float) -> RotatingSecretStore:
    try:
        from predictor.adapters.aws.secrets import SecretsManagerSecretStore
    except ImportError as exc:
        raise ConfigurationError("PREDICTOR_SECRET_STORE=aws needs boto3: install predictor[aws]") from exc

    return SecretsManagerSecretStore(timeout_s=timeout_s)


# Alerts: the alerter chosen by PREDICTOR_ALERTS; the container puts an AlertGate in front.
def _log_alerter() -> Alerter:
    from predictor.adapters.logs.alerts import LogAlerter

    return LogAlerter()


def _sns_alerter(settings: AlertSettings) -> Alerter:
    try:
        from predictor.adapters.aws.sns import SnsAlerter
    except ImportError as exc:
        raise ConfigurationError("PREDICTOR_ALERTS=sns needs boto3: install predictor[aws]") from exc

    topic = str(settings.alerts_topic_arn)
    return SnsAlerter(topic, queue_size=settings.alerts_queue_size, timeout_s=settings.alerts_timeout_s)


def _error_rate_alarm(settings: AlertSettings, alerter: Alerter, clock: Clock) -> ErrorRateAlarm | None:
    if settings.error_rate_threshold <= 0:
        return None
    return ErrorRateAlarm(
        alerter,
        clock,
        threshold=settings.error_rate_threshold,
        window_s=settings.error_rate_window_s,
        min_requests=settings.error_rate_min_requests,
    )


def served_ref(settings: Settings, exported: Callable[[], ExportedModelCatalog]) -> ModelRef:
    """The reference the service follows: the settings' name@alias, or the exported directory's
    (``InvalidModel`` for a directory that was not exported)."""
    if settings.serving.model_dir is not None:
        return exported().ref
    return ModelRef(settings.serving.model_name, alias=settings.serving.model_alias)


def _model_keeper(settings: Settings, backoff: Backoff, **uses: Any) -> ModelKeeper:
    serving = settings.serving
    # An exported directory is one fixed version: there is no alias to follow.
    ttl_s = 0.0 if serving.model_dir is not None else serving.reload_interval_s
    on_request = serving.refresh is RefreshMode.ON_REQUEST
    return ModelKeeper(**uses, ttl_s=ttl_s, on_request=on_request, backoff=backoff)


# Metrics: the sink the flush loop publishes to, and Prometheus's running totals (when on).
def _emf_metrics(settings: MetricsSettings) -> MetricsSink:
    from predictor.adapters.logs.metrics import EmfMetricsSink

    return EmfMetricsSink(settings.metrics_namespace, function_name=settings.function_name)


def _cloudwatch_metrics(settings: MetricsSettings) -> MetricsSink:
    from predictor.adapters.aws.cloudwatch import CloudWatchMetricsSink, client_config

    timeouts = (settings.cloudwatch_connect_timeout_s, settings.cloudwatch_read_timeout_s)
    config = client_config(*timeouts, settings.cloudwatch_max_attempts)
    return CloudWatchMetricsSink(settings.metrics_namespace, config=config)


def _no_metrics() -> MetricsSink:
    from predictor.adapters.logs.metrics import NullMetricsSink

    return NullMetricsSink()


def _prometheus() -> PrometheusMetricsRecorder:
    from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder

    return PrometheusMetricsRecorder()


def _request_metrics(
    slot: ModelSlot, prometheus: MetricsRecorder | None, alarm: ErrorRateAlarm | None = None
) -> RequestMetrics:
    return RequestMetrics(slot, recorders=() if prometheus is None else (prometheus,), alarm=alarm)


class RealAdapters(containers.DeclarativeContainer):
    """MLflow, XGBoost, local files and the environment."""

    settings = providers.Dependency(instance_of=Settings)
    registry = providers.Selector(
        settings.provided.serving.model_source,
        exported=providers.Singleton(_refuse_writes),
        registry=providers.Singleton(_mlflow_registry, settings.provided.tracking.mlflow_tracking_uri),
    )
    tracker = providers.Singleton(
        _mlflow_tracker,
        settings.provided.tracking.mlflow_tracking_uri,
        settings.provided.tracking.artifact_root,
    )
    runtime = providers.Singleton(_xgboost_runtime)
    trainer = providers.Singleton(_xgboost_trainer)
    tuner = providers.Singleton(_optuna_tuner)
    renderer = providers.Singleton(_matplotlib_renderer)
    datasets = providers.Singleton(_datasets)
    cache = providers.Singleton(_local_cache, settings.provided.serving.cache_dir)
    tables = providers.Singleton(_arrow_tables)
    artifacts = providers.Singleton(_artifacts_by_scheme)
    # One provider per SecretStoreKind and MetricsSinkKind (tests/unit/test_container.py checks).
    secrets = providers.Selector(
        settings.provided.security.secret_store,
        env=providers.Singleton(
            _environment_secrets, settings.provided.sources.env_file, settings.provided.sources.secrets_dir
        ),
        aws=providers.Singleton(_secrets_manager, settings.provided.security.secrets_timeout_s),
    )
    metrics = providers.Selector(
        settings.provided.metrics.metrics_sink,
        emf=providers.Singleton(_emf_metrics, settings.provided.metrics),
        cloudwatch=providers.Singleton(_cloudwatch_metrics, settings.provided.metrics),
        none=providers.Singleton(_no_metrics),
    )
    # Running totals for /metrics (a MetricsRecorder and MetricsScrape), or None when off.
    prometheus = providers.Selector(
        settings.provided.metrics.prometheus, on=providers.Singleton(_prometheus), off=providers.Object(None)
    )
    alerter = providers.Selector(
        settings.provided.alerts.alerts,
        log=providers.Singleton(_log_alerter),
        sns=providers.Singleton(_sns_alerter, settings.provided.alerts),
    )
    clock = providers.Singleton(SystemClock)


class Container(containers.DeclarativeContainer):
    """Use cases, wired to one adapter set."""

    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.DependenciesContainer()

    slot = providers.Singleton(ModelSlot)
    # Every alert goes through the gate: one message per trouble per window, one "resolved".
    alerts = providers.Singleton(
        AlertGate,
        alerter=adapters.alerter,
        clock=adapters.clock,
        window_s=settings.provided.alerts.alerts_window_s,
        service=settings.provided.alerts.alerts_service,
    )
    error_rate_alarm = providers.Singleton(
        _error_rate_alarm, settings.provided.alerts, alerts, adapters.clock
    )
    request_metrics = providers.Singleton(_request_metrics, slot, adapters.prometheus, error_rate_alarm)
    # The API keys in force (services/serving/keys.py): the env store's lists read once at
    # start-up, or Secrets Manager's JSON secret kept for PREDICTOR_KEYS_TTL_S.
    keyrings = providers.Selector(
        settings.provided.security.secret_store,
        env=providers.Singleton(
            Keyrings.from_lists,
            store=adapters.secrets,
            api_keys=API_KEYS_SECRET,
            admin_keys=ADMIN_API_KEYS_SECRET,
            alerter=alerts,
            clock=adapters.clock,
        ),
        aws=providers.Singleton(
            Keyrings.from_json_secret,
            store=adapters.secrets,
            name=settings.provided.security.keys_secret_id,
            ttl_s=settings.provided.security.keys_ttl_s,
            retry_s=settings.provided.security.keys_retry_s,
            alerter=alerts,
            clock=adapters.clock,
        ),
    )
    exported_catalog = providers.Singleton(_exported_catalog, settings.provided.serving.model_dir)
    model_ref = providers.Singleton(served_ref, settings, exported_catalog.provider)
    # The read side, for serving and the catalog: the exported directory being served, or the
    # registry. Promotion and training take the registry itself (both sides).
    catalog = providers.Selector(
        settings.provided.serving.model_source, exported=exported_catalog, registry=adapters.registry
    )
    serving_cache = providers.Selector(
        settings.provided.serving.model_source,
        exported=providers.Singleton(_exported_cache, exported_catalog),
        registry=adapters.cache,
    )
    load_model = providers.Factory(
        LoadModel,
        registry=catalog,
        runtime=adapters.runtime,
        cache=serving_cache,
        slot=slot,
        fallback=providers.Singleton(_fallback_catalog, settings.provided.serving.fallback_model_dir),
        origin=providers.Selector(
            settings.provided.serving.model_source,
            exported=providers.Object("export"),
            registry=providers.Object("registry"),
        ),
        counter=request_metrics,
        alerter=alerts,
    )
    # One instance: it remembers refused versions and the trouble it last alerted.
    refresh_model = providers.Singleton(
        RefreshModel,
        registry=catalog,
        runtime=adapters.runtime,
        cache=serving_cache,
        slot=slot,
        alerter=alerts,
        allow_breaking_changes=settings.provided.serving.allow_breaking_changes,
        counter=request_metrics,
    )
    # Loads the served model, retries, refreshes on its time-to-live: from a background task
    # (run) or from requests (on_request, for AWS Lambda). create_app may override the backoff.
    load_backoff = providers.Object(Backoff())
    monotonic = providers.Object(time.monotonic)  # the keeper's clock; tests drive their own
    model_keeper = providers.Singleton(
        _model_keeper,
        settings,
        load_backoff,
        monotonic=monotonic,
        ref=model_ref,
        slot=slot,
        load=load_model,
        refresh=refresh_model,
    )
    publish_metrics = providers.Singleton(
        PublishMetrics,
        metrics=request_metrics,
        sink=adapters.metrics,
        interval_s=settings.provided.metrics.metrics_flush_s,
    )
    promote_model = providers.Factory(PromoteModel, registry=adapters.registry, clock=adapters.clock)
    rollback_model = providers.Factory(RollbackModel, registry=adapters.registry, clock=adapters.clock)
    describe_model = providers.Factory(DescribeModel, catalog=catalog)
    list_models = providers.Factory(ListModels, catalog=catalog)
    export_model = providers.Factory(
        _export_model,
        catalog=catalog,
        runtime=adapters.runtime,
        artifacts=adapters.artifacts,
        clock=adapters.clock,
    )
    # `models copy`: this container's registry, tracker and artifact store are the destination;
    # the caller hands in the source registry's catalog (another container's) at call time.
    copy_model = providers.Factory(
        _copy_model, target=adapters.registry, tracker=adapters.tracker, artifacts=adapters.artifacts
    )
    make_prediction = providers.Singleton(
        MakePrediction,
        slot=slot,
        max_rows=settings.provided.serving.max_rows,
        threshold=settings.provided.serving.decision_threshold,
        counter=request_metrics,
    )
    served_models = providers.Singleton(ServedModels, providers.List(model_keeper))
    # One per process: its decoder processes start on the first big body; close() stops them.
    body_decoder = providers.Singleton(
        BodyDecoder,
        processes=settings.provided.serving.decoder_processes,
        max_rows=settings.provided.serving.max_rows,
    )
    serving_core = providers.Singleton(
        ServingCore, models=served_models, make_prediction=make_prediction, decoder=body_decoder
    )
    explain_prediction = providers.Singleton(
        ExplainPrediction, slot=slot, max_rows=settings.provided.serving.max_rows
    )
    predict_table = providers.Factory(
        _predict_table, files=adapters.tables, threshold=settings.provided.serving.decision_threshold
    )
    train_model = providers.Factory(
        _train_model,
        datasets=adapters.datasets,
        trainer=adapters.trainer,
        tracker=adapters.tracker,
        registry=adapters.registry,
        runtime=adapters.runtime,
        tuner=adapters.tuner,
        renderer=adapters.renderer,
        promote=promote_model,
    )


def build_container(
    settings: Settings, adapters: Callable[..., containers.DeclarativeContainer] = RealAdapters
) -> Container:
    """The container for ``settings`` with an adapter set: ``RealAdapters``, or
    ``predictor.adapters.memory.container.InMemoryAdapters`` for tests and offline trials."""
    return Container(settings=settings, adapters=adapters(settings=settings))
