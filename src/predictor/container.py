"""The composition root: the only place that chooses adapters.

Two adapter sets share provider names (``RealAdapters`` and ``InMemoryAdapters``); one
``Container`` wires the use cases to whichever set it is given. Real adapters are imported
inside their factories, so a process that never touches MLflow never imports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from predictor.adapters import memory
from predictor.config import Settings
from predictor.domain.lifecycle import LoadModel, ModelSlot
from predictor.domain.prediction import MakePrediction
from predictor.domain.training import TrainModel

if TYPE_CHECKING:
    from predictor.domain.ports import (
        DatasetSource,
        ExperimentTracker,
        ModelCache,
        ModelRegistry,
        ModelRuntime,
        ModelTrainer,
        SecretStore,
    )


def _mlflow_registry(settings: Settings) -> ModelRegistry:
    from predictor.adapters.mlflow.registry import MlflowModelRegistry

    return MlflowModelRegistry(settings.mlflow_tracking_uri)


def _mlflow_tracker(settings: Settings) -> ExperimentTracker:
    from predictor.adapters.mlflow.tracking import MlflowExperimentTracker

    return MlflowExperimentTracker(settings.mlflow_tracking_uri, settings.artifact_root)


def _xgboost_runtime() -> ModelRuntime:
    from predictor.adapters.xgboost.runtime import XGBoostRuntime

    return XGBoostRuntime()


def _xgboost_trainer() -> ModelTrainer:
    from predictor.adapters.xgboost.trainer import XGBoostTrainer

    return XGBoostTrainer()


def _datasets() -> DatasetSource:
    from predictor.adapters.datasets import LocalDatasetSource

    return LocalDatasetSource()


def _local_cache(root: Path) -> ModelCache:
    from predictor.adapters.cache import LocalModelCache

    return LocalModelCache(root)


def _secret_store(settings: Settings) -> SecretStore:
    from predictor.adapters.secrets import EnvironmentSecretStore

    return EnvironmentSecretStore()


class RealAdapters(containers.DeclarativeContainer):
    """MLflow, XGBoost, local files and the environment."""

    settings = providers.Dependency(instance_of=Settings)
    registry = providers.Singleton(_mlflow_registry, settings)
    tracker = providers.Singleton(_mlflow_tracker, settings)
    runtime = providers.Singleton(_xgboost_runtime)
    trainer = providers.Singleton(_xgboost_trainer)
    datasets = providers.Singleton(_datasets)
    cache = providers.Singleton(_local_cache, settings.provided.cache_dir)
    secrets = providers.Singleton(_secret_store, settings)


class InMemoryAdapters(containers.DeclarativeContainer):
    """Every port in memory: for unit tests and offline trials. Same provider names as RealAdapters."""

    settings = providers.Dependency(instance_of=Settings)
    registry = providers.Singleton(memory.InMemoryModelRegistry)
    tracker = providers.Singleton(memory.InMemoryExperimentTracker)
    runtime = providers.Singleton(memory.LinearModelRuntime)
    trainer = providers.Singleton(memory.LinearModelTrainer)
    datasets = providers.Singleton(memory.InMemoryDatasetSource)
    cache = providers.Singleton(memory.InMemoryModelCache)
    secrets = providers.Singleton(memory.StaticSecretStore)


class Container(containers.DeclarativeContainer):
    """Use cases, wired to one adapter set."""

    settings = providers.Dependency(instance_of=Settings)
    adapters = providers.DependenciesContainer()

    slot = providers.Singleton(ModelSlot)
    load_model = providers.Factory(
        LoadModel,
        registry=adapters.registry,
        runtime=adapters.runtime,
        cache=adapters.cache,
        slot=slot,
    )
    make_prediction = providers.Singleton(MakePrediction, slot=slot, max_rows=settings.provided.max_rows)
    train_model = providers.Factory(
        TrainModel,
        datasets=adapters.datasets,
        trainer=adapters.trainer,
        tracker=adapters.tracker,
        registry=adapters.registry,
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
