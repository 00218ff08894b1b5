"""The composition root: the only place that chooses adapters.

Two adapter sets share provider names (``RealAdapters`` and ``InMemoryAdapters``); one
``Container`` wires the use cases to whichever set it is given. Real adapters are imported
inside their factories, so a process that never touches MLflow never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from predictor.adapters import memory
from predictor.config import Settings
from predictor.domain.exported import ExportRecord
from predictor.domain.model import ModelRef
from predictor.services.registry.catalog import DescribeModel, ListModels
from predictor.services.registry.promotion import PromoteModel, RollbackModel
from predictor.services.serving.core import ServingCore
from predictor.services.serving.explanation import ExplainPrediction
from predictor.services.serving.loading import LoadExportedModel, LoadModel, ModelSlot
from predictor.services.serving.models import ServedModels
from predictor.services.serving.prediction import MakePrediction
from predictor.services.serving.refresh import RefreshModel
from predictor.services.serving.telemetry import RequestMetrics

if TYPE_CHECKING:
    from predictor.domain.ports import (
        Alerter,
        DatasetSource,
        ExperimentTracker,
        MetricsSink,
        ModelCache,
        ModelRegistry,
        ModelRuntime,
        ModelTrainer,
        ReportRenderer,
        SecretStore,
        TableFiles,
        Tuner,
    )
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


def _exported_registry(model_dir: Path) -> ModelRegistry:
    from predictor.adapters.files.exported import ExportedModelRegistry

    return ExportedModelRegistry(model_dir)


def _registry(settings: Settings) -> ModelRegistry:
    """MLflow's registry, or the exported model directory being served (which needs no mlflow)."""
    if settings.model_dir is not None:
        return _exported_registry(settings.model_dir)
    from predictor.adapters.mlflow.registry import MlflowModelRegistry

    return MlflowModelRegistry(settings.mlflow_tracking_uri)


def _memory_registry(settings: Settings) -> ModelRegistry:
    if settings.model_dir is not None:
        return _exported_registry(settings.model_dir)
    return memory.InMemoryModelRegistry()


def _mlflow_tracker(settings: Settings) -> ExperimentTracker:
    from predictor.adapters.mlflow.tracking import MlflowExperimentTracker

    return MlflowExperimentTracker(settings.mlflow_tracking_uri, settings.artifact_root)


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


def _arrow_tables() -> TableFiles:
    from predictor.adapters.files.arrow import ArrowTableFiles

    return ArrowTableFiles()


def _secret_store(settings: Settings) -> SecretStore:
    from predictor.adapters.environment.secrets import EnvironmentSecretStore

    return EnvironmentSecretStore()


def _log_alerter() -> Alerter:
    from predictor.adapters.logs.alerts import LogAlerter

    return LogAlerter()


def served_ref(settings: Settings) -> ModelRef:
    """The reference the service follows: the settings' name@alias, or the exported directory's."""
    if settings.model_dir is not None:
        return ExportRecord.read(settings.model_dir).ref
    return ModelRef(settings.model_name, alias=settings.model_alias)


def _served_models(ref: ModelRef, slot: ModelSlot) -> ServedModels:
    return ServedModels({ref: slot})


def _metrics_sink(settings: Settings) -> MetricsSink:
    from predictor.adapters.logs.metrics import EmfMetricsSink, NullMetricsSink

    return EmfMetricsSink() if settings.metrics_sink == "emf" else NullMetricsSink()


class RealAdapters(containers.DeclarativeContainer):
    """MLflow, XGBoost, local files and the environment."""

    settings = providers.Dependency(instance_of=Settings)
    registry = providers.Singleton(_registry, settings)
    tracker = providers.Singleton(_mlflow_tracker, settings)
    runtime = providers.Singleton(_xgboost_runtime)
    trainer = providers.Singleton(_xgboost_trainer)
    tuner = providers.Singleton(_optuna_tuner)
    renderer = providers.Singleton(_matplotlib_renderer)
    datasets = providers.Singleton(_datasets)
    cache = providers.Singleton(_local_cache, settings.provided.cache_dir)
    tables = providers.Singleton(_arrow_tables)
    secrets = providers.Singleton(_secret_store, settings)
    metrics = providers.Singleton(_metrics_sink, settings)
    alerter = providers.Singleton(_log_alerter)
    clock = providers.Singleton(memory.SystemClock)


class InMemoryAdapters(containers.DeclarativeContainer):
    """Every port in memory: for unit tests and offline trials. Same provider names as RealAdapters."""

    settings = providers.Dependency(instance_of=Settings)
    registry = providers.Singleton(_memory_registry, settings)
    tracker = providers.Singleton(memory.InMemoryExperimentTracker)
    runtime = providers.Singleton(memory.LinearModelRuntime)
    trainer = providers.Singleton(memory.LinearModelTrainer)
    tuner = providers.Singleton(memory.SeededRandomTuner)
    renderer = providers.Singleton(memory.RecordingReportRenderer)
    datasets = providers.Singleton(memory.InMemoryDatasetSource)
    cache = providers.Singleton(memory.InMemoryModelCache)
    tables = providers.Singleton(memory.InMemoryTableFiles)
    secrets = providers.Singleton(memory.StaticSecretStore)
    metrics = providers.Singleton(memory.RecordingMetricsSink)
    alerter = providers.Singleton(memory.RecordingAlerter)
    clock = providers.Singleton(memory.SystemClock)


class Container(containers.DeclarativeContainer):
    """Use cases, wired to one adapter set."""

    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.DependenciesContainer()

    slot = providers.Singleton(ModelSlot)
    request_metrics = providers.Singleton(RequestMetrics)
    model_ref = providers.Singleton(served_ref, settings)
    load_model = providers.Factory(
        LoadModel,
        registry=adapters.registry,
        runtime=adapters.runtime,
        cache=adapters.cache,
        slot=slot,
        fallback_dir=settings.provided.fallback_model_dir,
    )
    load_exported = providers.Factory(LoadExportedModel, runtime=adapters.runtime, slot=slot)
    # One instance: it remembers refused versions and the trouble it last alerted.
    refresh_model = providers.Singleton(
        RefreshModel,
        registry=adapters.registry,
        runtime=adapters.runtime,
        cache=adapters.cache,
        slot=slot,
        alerter=adapters.alerter,
        allow_breaking_changes=settings.provided.allow_breaking_changes,
    )
    promote_model = providers.Factory(PromoteModel, registry=adapters.registry, clock=adapters.clock)
    rollback_model = providers.Factory(RollbackModel, registry=adapters.registry, clock=adapters.clock)
    describe_model = providers.Factory(DescribeModel, registry=adapters.registry)
    list_models = providers.Factory(ListModels, registry=adapters.registry)
    export_model = providers.Factory(
        _export_model, registry=adapters.registry, runtime=adapters.runtime, clock=adapters.clock
    )
    make_prediction = providers.Singleton(
        MakePrediction,
        slot=slot,
        max_rows=settings.provided.max_rows,
        threshold=settings.provided.decision_threshold,
    )
    served_models = providers.Singleton(_served_models, model_ref, slot)
    serving_core = providers.Singleton(ServingCore, models=served_models, make_prediction=make_prediction)
    explain_prediction = providers.Singleton(
        ExplainPrediction, slot=slot, max_rows=settings.provided.max_rows
    )
    predict_table = providers.Factory(
        _predict_table, files=adapters.tables, threshold=settings.provided.decision_threshold
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


def build_container(settings: Settings, adapters: str = "real") -> Container:
    """The container for ``settings`` with the ``real`` or ``memory`` adapter set."""
    adapter_set: containers.DeclarativeContainer
    if adapters == "real":
        adapter_set = RealAdapters(settings=settings)
    elif adapters == "memory":
        adapter_set = InMemoryAdapters(settings=settings)
    else:
        raise ValueError(f"unknown adapter set {adapters!r}; use 'real' or 'memory'")
    return Container(settings=settings, adapters=adapter_set)
