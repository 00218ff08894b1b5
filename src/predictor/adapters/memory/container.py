"""``InMemoryAdapters``: every port in memory, with the same provider names as the real set in
``predictor.adapters.real``; for unit tests and offline trials:
``build_container(settings, InMemoryAdapters)``."""

from __future__ import annotations

from dependency_injector import containers, providers

from predictor.adapters import memory
from predictor.adapters.files.artifacts import LocalArtifactStore
from predictor.adapters.files.exported import refuse_writes
from predictor.adapters.files.parquet_body import ArrowParquetReader
from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder
from predictor.adapters.system.clock import SystemClock
from predictor.config import Settings


class InMemoryAdapters(containers.DeclarativeContainer):
    """Every port in memory; an exported model directory, when one is served, is read as it is."""

    settings = providers.Dependency(instance_of=Settings)
    registry = providers.Selector(
        settings.provided.serving.registry_source,
        exported=providers.Singleton(refuse_writes),
        registry=providers.Singleton(memory.InMemoryModelRegistry),
    )
    tracker = providers.Singleton(memory.InMemoryExperimentTracker)
    runtime = providers.Singleton(memory.LinearModelRuntime)
    trainer = providers.Singleton(memory.LinearModelTrainer)
    tuner = providers.Singleton(memory.SeededRandomTuner)
    renderer = providers.Singleton(memory.RecordingReportRenderer)
    datasets = providers.Singleton(memory.InMemoryDatasetSource)
    cache = providers.Singleton(memory.InMemoryModelCache)
    tables = providers.Singleton(memory.InMemoryTableFiles)
    captures = providers.Singleton(memory.InMemoryCaptureSource)
    partitions = providers.Factory(memory.InProcessPartitionRunner)
    training_cluster = providers.Factory(memory.InProcessTrainingCluster, datasets, trainer)
    # The real reader: it reads bytes already in memory (pyarrow imported with the first body).
    table_reader = providers.Singleton(ArrowParquetReader)
    # Local files, not memory.InMemoryArtifactStore: an export is a directory that is then
    # served from its path.
    artifacts = providers.Singleton(LocalArtifactStore)
    capture_store = providers.Singleton(memory.InMemoryCaptureStore)
    secrets = providers.Selector(
        settings.provided.security.secret_store,
        env=providers.Singleton(memory.StaticSecretStore),
        aws=providers.Singleton(memory.InMemoryRotatingSecretStore),
    )
    metrics = providers.Singleton(memory.RecordingMetricsSink)
    # prometheus_client's registry lives in the process: the real recorder is in memory already.
    prometheus = providers.Selector(
        settings.provided.metrics.prometheus,
        on=providers.Singleton(PrometheusMetricsRecorder),
        off=providers.Object(None),
    )
    alerter = providers.Singleton(memory.RecordingAlerter)
    clock = providers.Singleton(SystemClock)
    process_memory = providers.Singleton(memory.StaticProcessMemory)
