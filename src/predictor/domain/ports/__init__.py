"""The ports: what the domain needs from the outside world, as typing.Protocols, one module per area.

Adapters subclass these explicitly (``class ExportedModelCatalog(ModelCatalog)``) so mypy
checks them; ``predictor.adapters.memory`` has an in-memory implementation of each.
"""

from predictor.domain.ports.artifacts import ArtifactStore
from predictor.domain.ports.capture import CaptureStore
from predictor.domain.ports.delivery import FunctionCode, FunctionDeployer, SmokeCheck
from predictor.domain.ports.drift import CapturedBatch, CaptureSource, ManifestSource
from predictor.domain.ports.files import (
    PartitionRunner,
    PredictionColumns,
    PredictionSink,
    TableFiles,
    TableReader,
)
from predictor.domain.ports.operations import (
    Alerter,
    Clock,
    Counted,
    EventCounter,
    EventMeter,
    Measured,
    Metric,
    MetricsRecorder,
    MetricsScrape,
    MetricsSink,
    RotatingSecretStore,
    SecretStore,
    SecretVersions,
)
from predictor.domain.ports.registry import ModelCatalog, ModelPublisher, ModelRegistry
from predictor.domain.ports.serving import (
    Matrix,
    ModelCache,
    ModelRuntime,
    ProcessMemory,
    Scores,
    ServableModel,
    ShadowSummaries,
)
from predictor.domain.ports.training import (
    Boosting,
    DatasetSource,
    ExperimentTracker,
    IterationCallback,
    ModelTrainer,
    ReportRenderer,
    TrackedRun,
    TrainedModel,
    Tuner,
)

__all__ = [
    "Alerter",
    "ArtifactStore",
    "Boosting",
    "CaptureSource",
    "CaptureStore",
    "CapturedBatch",
    "Clock",
    "Counted",
    "DatasetSource",
    "EventCounter",
    "EventMeter",
    "ExperimentTracker",
    "FunctionCode",
    "FunctionDeployer",
    "IterationCallback",
    "ManifestSource",
    "Matrix",
    "Measured",
    "Metric",
    "MetricsRecorder",
    "MetricsScrape",
    "MetricsSink",
    "ModelCache",
    "ModelCatalog",
    "ModelPublisher",
    "ModelRegistry",
    "ModelRuntime",
    "ModelTrainer",
    "PartitionRunner",
    "PredictionColumns",
    "PredictionSink",
    "ProcessMemory",
    "ReportRenderer",
    "RotatingSecretStore",
    "Scores",
    "SecretStore",
    "SecretVersions",
    "ServableModel",
    "ShadowSummaries",
    "SmokeCheck",
    "TableFiles",
    "TableReader",
    "TrackedRun",
    "TrainedModel",
    "Tuner",
]
