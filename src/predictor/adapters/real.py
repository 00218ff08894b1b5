"""``RealAdapters``: the real adapter set (MLflow, XGBoost, Optuna, local files, AWS, the
environment), with the same provider names as ``InMemoryAdapters`` in
``predictor.adapters.memory.container``. ``providers.Selector``s choose an adapter from the
settings (the registry, the metrics sink, the secret store, the alerter). Each adapter is
imported inside its factory, so a process that never touches MLflow never imports it.
``predictor.container`` wires the use cases to this set (or to the in-memory one).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from predictor.adapters.system.clock import SystemClock
from predictor.config import AlertSettings, MetricsSettings, Settings
from predictor.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from predictor.adapters.files.exported import ExportedModelCatalog
    from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder
    from predictor.domain.ports import (
        Alerter,
        ArtifactStore,
        DatasetSource,
        ExperimentTracker,
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


def refuse_writes() -> ModelRegistry:
    from predictor.adapters.files import exported

    return exported.refuse_writes()


def exported_catalog(model_dir: Path) -> ExportedModelCatalog:
    """An exported model directory (the one served, or the fallback), read without mlflow."""
    from predictor.adapters.files.exported import ExportedModelCatalog

    return ExportedModelCatalog(model_dir)


def exported_cache(catalog: ExportedModelCatalog) -> ModelCache:
    """In front of the exported directory served: read in place, nothing copied or written."""
    from predictor.adapters.files.exported import ExportedModelCache

    return ExportedModelCache(catalog)


def fallback_catalog(fallback_dir: Path | None) -> ModelCatalog | None:
    return exported_catalog(fallback_dir) if fallback_dir is not None else None


def mlflow_registry(tracking_uri: str) -> ModelRegistry:
    from predictor.adapters.mlflow.registry import MlflowModelRegistry

    return MlflowModelRegistry(tracking_uri)


def mlflow_tracker(tracking_uri: str, artifact_root: str) -> ExperimentTracker:
    from predictor.adapters.mlflow.tracking import MlflowExperimentTracker

    return MlflowExperimentTracker(tracking_uri, artifact_root)


def xgboost_runtime() -> ModelRuntime:
    from predictor.adapters.xgboost.runtime import XGBoostRuntime

    return XGBoostRuntime()


def xgboost_trainer() -> ModelTrainer:
    from predictor.adapters.xgboost.trainer import XGBoostTrainer

    return XGBoostTrainer()


def optuna_tuner() -> Tuner:
    from predictor.adapters.optuna.tuner import OptunaTuner

    return OptunaTuner()


def matplotlib_renderer() -> ReportRenderer:
    from predictor.adapters.matplotlib.plots import MatplotlibReportRenderer

    return MatplotlibReportRenderer()


def sklearn_datasets() -> DatasetSource:
    from predictor.adapters.sklearn.datasets import LocalDatasetSource

    return LocalDatasetSource()


def local_cache(root: Path) -> ModelCache:
    from predictor.adapters.files.cache import LocalModelCache

    return LocalModelCache(root)


# Artifacts by URI scheme: paths and file:// on local disk, s3:// in S3 (boto3 imported on
# the first s3:// URI, so a process that never names one never imports it).
def s3_artifacts() -> ArtifactStore:
    from predictor.adapters.aws.s3 import S3ArtifactStore

    return S3ArtifactStore()


def artifacts_by_scheme() -> ArtifactStore:
    from predictor.adapters.files.artifacts import LocalArtifactStore
    from predictor.adapters.files.schemes import ArtifactStoresByScheme

    return ArtifactStoresByScheme({"file": LocalArtifactStore, "s3": s3_artifacts})


def arrow_tables() -> TableFiles:
    from predictor.adapters.files.arrow import ArrowTableFiles

    return ArrowTableFiles()


def environment_secrets(env_file: Path | None, secrets_dir: Path | None) -> SecretStore:
    from predictor.adapters.environment.secrets import EnvironmentSecretStore

    return EnvironmentSecretStore(env_file, secrets_dir)


def secrets_manager(timeout_s: float) -> RotatingSecretStore:
    try:
        from predictor.adapters.aws.secrets import SecretsManagerSecretStore
    except ImportError as exc:
        raise ConfigurationError("PREDICTOR_SECRET_STORE=aws needs boto3: install predictor[aws]") from exc

    return SecretsManagerSecretStore(timeout_s=timeout_s)


# Alerts: the alerter chosen by PREDICTOR_ALERTS (the container puts an AlertGate in front).
def log_alerter() -> Alerter:
    from predictor.adapters.logs.alerts import LogAlerter

    return LogAlerter()


def sns_alerter(settings: AlertSettings) -> Alerter:
    try:
        from predictor.adapters.aws.sns import SnsAlerter
    except ImportError as exc:
        raise ConfigurationError("PREDICTOR_ALERTS=sns needs boto3: install predictor[aws]") from exc

    topic = str(settings.alerts_topic_arn)
    return SnsAlerter(topic, queue_size=settings.alerts_queue_size, timeout_s=settings.alerts_timeout_s)


# Metrics: the sink the flush loop publishes to, and Prometheus's running totals (when on).
def emf_metrics(settings: MetricsSettings) -> MetricsSink:
    from predictor.adapters.logs.metrics import EmfMetricsSink

    return EmfMetricsSink(settings.metrics_namespace, function_name=settings.function_name)


def cloudwatch_metrics(settings: MetricsSettings) -> MetricsSink:
    from predictor.adapters.aws.cloudwatch import CloudWatchMetricsSink, client_config

    timeouts = (settings.cloudwatch_connect_timeout_s, settings.cloudwatch_read_timeout_s)
    config = client_config(*timeouts, settings.cloudwatch_max_attempts)
    return CloudWatchMetricsSink(settings.metrics_namespace, config=config)


def no_metrics() -> MetricsSink:
    from predictor.adapters.logs.metrics import NullMetricsSink

    return NullMetricsSink()


def prometheus_recorder() -> PrometheusMetricsRecorder:
    from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder

    return PrometheusMetricsRecorder()


class RealAdapters(containers.DeclarativeContainer):
    """MLflow, XGBoost, local files and the environment."""

    settings = providers.Dependency(instance_of=Settings)
    registry = providers.Selector(
        settings.provided.serving.model_source,
        exported=providers.Singleton(refuse_writes),
        registry=providers.Singleton(mlflow_registry, settings.provided.tracking.mlflow_tracking_uri),
    )
    tracker = providers.Singleton(
        mlflow_tracker,
        settings.provided.tracking.mlflow_tracking_uri,
        settings.provided.tracking.artifact_root,
    )
    runtime = providers.Singleton(xgboost_runtime)
    trainer = providers.Singleton(xgboost_trainer)
    tuner = providers.Singleton(optuna_tuner)
    renderer = providers.Singleton(matplotlib_renderer)
    datasets = providers.Singleton(sklearn_datasets)
    cache = providers.Singleton(local_cache, settings.provided.serving.cache_dir)
    tables = providers.Singleton(arrow_tables)
    artifacts = providers.Singleton(artifacts_by_scheme)
    # One provider per SecretStoreKind and MetricsSinkKind (tests/unit/test_container.py checks).
    secrets = providers.Selector(
        settings.provided.security.secret_store,
        env=providers.Singleton(
            environment_secrets, settings.provided.sources.env_file, settings.provided.sources.secrets_dir
        ),
        aws=providers.Singleton(secrets_manager, settings.provided.security.secrets_timeout_s),
    )
    metrics = providers.Selector(
        settings.provided.metrics.metrics_sink,
        emf=providers.Singleton(emf_metrics, settings.provided.metrics),
        cloudwatch=providers.Singleton(cloudwatch_metrics, settings.provided.metrics),
        none=providers.Singleton(no_metrics),
    )
    # Running totals for /metrics (a MetricsRecorder and MetricsScrape), or None when off.
    prometheus = providers.Selector(
        settings.provided.metrics.prometheus,
        on=providers.Singleton(prometheus_recorder),
        off=providers.Object(None),
    )
    alerter = providers.Selector(
        settings.provided.alerts.alerts,
        log=providers.Singleton(log_alerter),
        sns=providers.Singleton(sns_alerter, settings.provided.alerts),
    )
    clock = providers.Singleton(SystemClock)
