"""In-memory implementations of every port: for unit tests and for trying predictor offline.

They behave like the real adapters (same errors, same contracts) without MLflow, XGBoost or
a network. ``LinearModel`` is a small real model (least squares on the encoded matrix), so
the in-memory trainer, registry and runtime together train, register and serve end to end.
"""

from __future__ import annotations

from predictor.adapters.memory.artifacts import InMemoryArtifactStore
from predictor.adapters.memory.capture import InMemoryCaptureStore
from predictor.adapters.memory.capture_source import InMemoryCaptureSource
from predictor.adapters.memory.cluster import InProcessTrainingCluster
from predictor.adapters.memory.data import (
    InMemoryDatasetSource,
    InMemoryTableFiles,
    RecordingPredictionSink,
    synthetic_table,
)
from predictor.adapters.memory.faults import Fault, InMemoryFaultyModel, InMemoryFaultyRuntime
from predictor.adapters.memory.models import WEIGHTS_FILE, LinearModel, LinearModelRuntime, LinearModelTrainer
from predictor.adapters.memory.partitions import InProcessPartitionRunner
from predictor.adapters.memory.registry import InMemoryModelRegistry
from predictor.adapters.memory.secrets import InMemoryRotatingSecretStore
from predictor.adapters.memory.services import (
    FixedClock,
    InMemoryModelCache,
    RecordingAlerter,
    RecordingMetricsSink,
    StaticProcessMemory,
    StaticSecretStore,
)
from predictor.adapters.memory.shadow import StaticShadowSummaries
from predictor.adapters.memory.tracking import (
    InMemoryExperimentTracker,
    RecordedRun,
    RecordingReportRenderer,
    SeededRandomTuner,
)

__all__ = [
    "WEIGHTS_FILE",
    "Fault",
    "FixedClock",
    "InMemoryArtifactStore",
    "InMemoryCaptureSource",
    "InMemoryCaptureStore",
    "InMemoryDatasetSource",
    "InMemoryExperimentTracker",
    "InMemoryFaultyModel",
    "InMemoryFaultyRuntime",
    "InMemoryModelCache",
    "InMemoryModelRegistry",
    "InMemoryRotatingSecretStore",
    "InMemoryTableFiles",
    "InProcessPartitionRunner",
    "InProcessTrainingCluster",
    "LinearModel",
    "LinearModelRuntime",
    "LinearModelTrainer",
    "RecordedRun",
    "RecordingAlerter",
    "RecordingMetricsSink",
    "RecordingPredictionSink",
    "RecordingReportRenderer",
    "SeededRandomTuner",
    "StaticProcessMemory",
    "StaticSecretStore",
    "StaticShadowSummaries",
    "synthetic_table",
]
