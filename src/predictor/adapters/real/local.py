"""The local and library adapter factories of ``RealAdapters``: exported model directories,
MLflow, XGBoost, Optuna, matplotlib, scikit-learn datasets, local files, the environment, the
log-based alerts and metrics, and Prometheus. Each adapter is imported inside its factory, so a
process that never touches MLflow never imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from predictor.adapters.real.aws import s3_artifacts
from predictor.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

    from predictor.adapters.files.exported import ExportedModelCatalog
    from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder
    from predictor.config import ClusterSettings, MetricsSettings
    from predictor.domain.ports import (
        Alerter,
        ArtifactStore,
        CaptureStore,
        DatasetSource,
        ExperimentTracker,
        MetricsSink,
        ModelCache,
        ModelCatalog,
        ModelRegistry,
        ModelRuntime,
        ModelTrainer,
        PartitionRunner,
        ReportRenderer,
        SecretStore,
        TableFiles,
        TableReader,
        Tuner,
    )
    from predictor.domain.ports.cluster import TrainingCluster


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


# Artifacts by URI scheme: paths and file:// on local disk, s3:// in S3 (``aws.s3_artifacts``).
def artifacts_by_scheme() -> ArtifactStore:
    from predictor.adapters.files.artifacts import LocalArtifactStore
    from predictor.adapters.files.schemes import ArtifactStoresByScheme

    return ArtifactStoresByScheme({"file": LocalArtifactStore, "s3": s3_artifacts})


def parquet_capture_store(root: str | None) -> CaptureStore | None:
    """None when capture is off; pyarrow (the ``capture`` extra) is needed when it is on."""
    if root is None:
        return None
    try:
        from predictor.adapters.files.capture import ParquetCaptureStore
    except ImportError as exc:
        raise ConfigurationError(
            f"PREDICTOR_CAPTURE_URI needs pyarrow: {exc}; install predictor[capture]"
        ) from None
    return ParquetCaptureStore(root)


def arrow_tables() -> TableFiles:
    from predictor.adapters.files.arrow import ArrowTableFiles

    return ArrowTableFiles()


def dask_runner(scheduler: str | None = None, workers: int | None = None) -> PartitionRunner:
    """Imported when first built: dask is the ``dask`` extra."""
    from predictor.adapters.dask.runner import DaskPartitionRunner

    return DaskPartitionRunner(scheduler, workers)


def arrow_parquet_reader() -> TableReader:
    from predictor.adapters.files.parquet_body import ArrowParquetReader

    return ArrowParquetReader()


def environment_secrets(env_file: Path | None, secrets_dir: Path | None) -> SecretStore:
    from predictor.adapters.environment.secrets import EnvironmentSecretStore

    return EnvironmentSecretStore(env_file, secrets_dir)


# Alerts: the log alerter (PREDICTOR_ALERTS=log; the container puts an AlertGate in front).
def log_alerter() -> Alerter:
    from predictor.adapters.logs.alerts import LogAlerter

    return LogAlerter()


# Metrics: the sink the flush loop publishes to, and Prometheus's running totals (when on).
def emf_metrics(settings: MetricsSettings) -> MetricsSink:
    from predictor.adapters.logs.metrics import EmfMetricsSink

    return EmfMetricsSink(settings.metrics_namespace, function_name=settings.function_name)


def no_metrics() -> MetricsSink:
    from predictor.adapters.logs.metrics import NullMetricsSink

    return NullMetricsSink()


def prometheus_recorder() -> PrometheusMetricsRecorder:
    from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder

    return PrometheusMetricsRecorder()


def dask_training(
    datasets: DatasetSource,
    settings: ClusterSettings,
    scheduler: str | None = None,
    workers: int | None = None,
) -> TrainingCluster:
    """Imported when first built: dask is the ``dask`` extra, xgboost.dask trains there."""
    from predictor.adapters.dask.collective import Collective
    from predictor.adapters.dask.training import DaskTrainingCluster

    collective = Collective(
        settings.dask_collective_timeout_s, settings.dask_tracker_host, settings.dask_tracker_port
    )
    return DaskTrainingCluster(datasets, scheduler, workers, collective=collective)
