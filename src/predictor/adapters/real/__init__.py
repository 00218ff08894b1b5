"""``RealAdapters``: the real adapter set (MLflow, XGBoost, Optuna, local files, AWS, the
environment), with the same provider names as ``InMemoryAdapters`` in
``predictor.adapters.memory.container``. ``providers.Selector``s choose an adapter from the
settings (the registry, the metrics sink, the secret store, the alerter). The factories live in
``predictor.adapters.real.local`` and, for AWS, ``predictor.adapters.real.aws``; each adapter is
imported inside its factory, so a process that never touches MLflow never imports it.
``predictor.container`` wires the use cases to this set (or to the in-memory one).
"""

from __future__ import annotations

from dependency_injector import containers, providers

from predictor.adapters.real.aws import cloudwatch_metrics, secrets_manager, sns_alerter
from predictor.adapters.real.drift import captured_parquet, downloaded_manifests
from predictor.adapters.real.local import (
    arrow_parquet_reader,
    arrow_tables,
    artifacts_by_scheme,
    dask_runner,
    dask_training,
    emf_metrics,
    environment_secrets,
    exported_cache,
    exported_catalog,
    fallback_catalog,
    local_cache,
    log_alerter,
    matplotlib_renderer,
    mlflow_registry,
    mlflow_tracker,
    no_metrics,
    optuna_tuner,
    parquet_capture_store,
    prometheus_recorder,
    refuse_writes,
    sklearn_datasets,
    xgboost_runtime,
    xgboost_trainer,
)
from predictor.adapters.system.clock import SystemClock
from predictor.adapters.system.memory import ProcfsProcessMemory
from predictor.config import Settings

__all__ = [
    "RealAdapters",
    "downloaded_manifests",
    "exported_cache",
    "exported_catalog",
    "fallback_catalog",
    "log_alerter",
]


class RealAdapters(containers.DeclarativeContainer):
    """MLflow, XGBoost, local files and the environment."""

    settings = providers.Dependency(instance_of=Settings)
    registry = providers.Selector(
        settings.provided.serving.registry_source,
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
    captures = providers.Singleton(captured_parquet)
    # Built per run: the CLI names the scheduler (None: a LocalCluster for the run).
    partitions = providers.Factory(dask_runner)
    training_cluster = providers.Factory(dask_training, datasets, settings.provided.cluster)
    table_reader = providers.Singleton(arrow_parquet_reader)
    artifacts = providers.Singleton(artifacts_by_scheme)
    # Captured requests as Parquet, locally or in S3 (None: capture is off).
    capture_store = providers.Singleton(parquet_capture_store, settings.provided.capture.capture_uri)
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
    process_memory = providers.Singleton(ProcfsProcessMemory)
