"""What the registry contracts share: a model trained and logged once per implementation of
the registry (the fake with the in-memory tracker and the linear model, MLflow on SQLite with
the MLflow tracker and XGBoost), and a registry of the same kind that cannot be reached."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from predictor.adapters.memory import (
    InMemoryExperimentTracker,
    InMemoryModelRegistry,
    LinearModelRuntime,
    LinearModelTrainer,
    synthetic_table,
)
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import (
    ExperimentTracker,
    Matrix,
    ModelRegistry,
    ModelRuntime,
    ModelTrainer,
    TrainedModel,
)
from predictor.domain.ports.training import FitSpec
from predictor.services.training.pipeline import build_schema, encode_columns, encode_target, split_indices

IMPLEMENTATIONS = ["memory", "mlflow"]


@dataclass
class Logged:
    """A model logged once per implementation; tests register it under names of their own."""

    registry: ModelRegistry
    runtime: ModelRuntime
    model: TrainedModel
    source: str
    run_id: str
    rows: Matrix
    unreachable: Callable[[], ModelRegistry]


def _train_and_log(
    trainer: ModelTrainer, tracker: ExperimentTracker
) -> tuple[TrainedModel, str, str, Matrix]:
    table = synthetic_table(rows=240, seed=3)
    schema = build_schema(table, task=None)
    truth = encode_target(schema, table.columns[table.target])
    matrix = encode_columns(schema, table.columns)
    train, valid, test = split_indices(truth, schema.target.task, (0.2, 0.2), seed=1)
    model = trainer.fit(
        FitSpec(
            ModelManifest(schema=schema, booster_file="model.ubj"),
            (matrix[train], truth[train]),
            (matrix[valid], truth[valid]),
            seed=1,
        )
    )
    example = tuple({name: table.columns[name][i] for name in schema.names} for i in test[:3].tolist())
    model = model.with_manifest(replace(model.manifest, input_example=example, metrics={"roc_auc": 0.9}))
    with tracker.start_run("contract", run_name="contract") as run:
        source = run.log_model(model)
        run_id = run.run_id
    return model, source, run_id, matrix[test]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _offline_fake() -> ModelRegistry:
    registry = InMemoryModelRegistry()
    registry.offline = True
    return registry


def _memory(tmp: Path) -> Logged:
    registry = InMemoryModelRegistry()
    model, source, run_id, rows = _train_and_log(LinearModelTrainer(), InMemoryExperimentTracker(tmp))
    return Logged(registry, LinearModelRuntime(), model, source, run_id, rows, _offline_fake)


def _mlflow(tmp: Path) -> Logged:
    from predictor.adapters.mlflow.registry import MlflowModelRegistry
    from predictor.adapters.mlflow.tracking import MlflowExperimentTracker
    from predictor.adapters.xgboost.runtime import XGBoostRuntime
    from predictor.adapters.xgboost.trainer import XGBoostTrainer

    uri = f"sqlite:///{tmp}/mlflow.db"
    tracker = MlflowExperimentTracker(uri, str(tmp / "mlartifacts"))
    model, source, run_id, rows = _train_and_log(XGBoostTrainer(nthread=1), tracker)

    def unreachable() -> ModelRegistry:
        return MlflowModelRegistry(f"http://127.0.0.1:{closed_port()}")

    return Logged(MlflowModelRegistry(uri), XGBoostRuntime(), model, source, run_id, rows, unreachable)


def log_model(implementation: str, tmp: Path) -> Logged:
    return _memory(tmp) if implementation == "memory" else _mlflow(tmp)
