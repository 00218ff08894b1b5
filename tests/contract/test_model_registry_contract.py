"""One ModelRegistry contract, run against the in-memory fake and against MLflow on SQLite.

Each implementation comes with the tracker, trainer and runtime it is used with: the fake
with the in-memory tracker and the linear model, MLflow with the MLflow tracker and XGBoost.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from predictor.adapters.memory import (
    InMemoryExperimentTracker,
    InMemoryModelRegistry,
    LinearModelRuntime,
    LinearModelTrainer,
    synthetic_table,
)
from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.domain.manifest import MANIFEST_FILE, ModelManifest
from predictor.domain.model import ModelRef
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


@dataclass
class Logged:
    """A model logged once per implementation; every test registers it under its own name."""

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


def _closed_port() -> int:
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
        return MlflowModelRegistry(f"http://127.0.0.1:{_closed_port()}")

    return Logged(MlflowModelRegistry(uri), XGBoostRuntime(), model, source, run_id, rows, unreachable)


@pytest.fixture(scope="module", params=["memory", "mlflow"])
def logged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Logged:
    build = _memory if request.param == "memory" else _mlflow
    return build(tmp_path_factory.mktemp(request.param))


@pytest.fixture
def name() -> str:
    """A model name no other test uses (the store is shared within the module)."""
    return f"contract-{uuid.uuid4().hex[:8]}"


def test_a_registered_version_resolves_by_version(logged: Logged, name: str) -> None:
    registered = logged.registry.register(name, logged.source, logged.run_id, {"team": "risk"})
    assert (registered.name, registered.version, registered.run_id) == (name, "1", logged.run_id)
    assert registered.source == logged.source
    assert registered.tags == {"team": "risk"}
    assert isinstance(registered.created_at, datetime)
    assert registered.created_at.tzinfo is not None

    resolved = logged.registry.resolve(ModelRef(name, version="1"))
    assert resolved == registered
    assert resolved.aliases == ()


def test_versions_carry_the_runs_test_metrics(logged: Logged, name: str) -> None:
    registered = logged.registry.register(name, logged.source, logged.run_id, {})
    # The contract's run logged no metrics of its own; the fake reads the manifest's as test_*.
    assert set(registered.metrics) <= {"test_roc_auc"}


def test_an_alias_resolves_to_its_version_and_moves(logged: Logged, name: str) -> None:
    registry = logged.registry
    first = registry.register(name, logged.source, logged.run_id, {})
    second = registry.register(name, logged.source, logged.run_id, {})
    assert (first.version, second.version) == ("1", "2")

    registry.set_alias(name, "production", "1")
    assert registry.resolve(ModelRef(name, alias="production")).version == "1"
    assert registry.resolve(ModelRef(name, alias="production")).aliases == ("production",)

    registry.set_alias(name, "production", "2")
    registry.set_alias(name, "challenger", "2")
    moved = registry.resolve(ModelRef(name, alias="production"))
    assert moved.version == "2"
    assert moved.aliases == ("challenger", "production")
    assert registry.resolve(ModelRef(name, version="1")).aliases == ()


def test_versions_are_listed_newest_first_with_their_aliases(logged: Logged, name: str) -> None:
    registry = logged.registry
    for _ in range(3):
        registry.register(name, logged.source, logged.run_id, {})
    registry.set_alias(name, "production", "2")
    registry.set_alias(name, "staging", "3")

    listed = registry.list_versions(name)
    assert [v.version for v in listed] == ["3", "2", "1"]
    assert [v.aliases for v in listed] == [("staging",), ("production",), ()]
    assert all(v.run_id == logged.run_id for v in listed)


def test_a_downloaded_version_loads_and_predicts_like_the_trained_model(
    logged: Logged, name: str, tmp_path: Path
) -> None:
    version = logged.registry.register(name, logged.source, logged.run_id, {})
    directory = logged.registry.download(version, tmp_path)

    assert (directory / MANIFEST_FILE).is_file()
    assert directory.is_relative_to(tmp_path)
    served = logged.runtime.load(directory)
    assert served.manifest.schema == logged.model.manifest.schema
    np.testing.assert_array_equal(served.predict(logged.rows), logged.model.predict(logged.rows))


@pytest.mark.parametrize(
    "ref",
    [ModelRef("no-such-model", alias="production"), ModelRef("no-such-model", version="1")],
    ids=["alias", "version"],
)
def test_an_unknown_model_is_not_found(logged: Logged, ref: ModelRef) -> None:
    with pytest.raises(ModelNotFound, match="no-such-model"):
        logged.registry.resolve(ref)
    with pytest.raises(ModelNotFound, match="no-such-model"):
        logged.registry.list_versions("no-such-model")


def test_an_unknown_alias_or_version_is_not_found(logged: Logged, name: str, tmp_path: Path) -> None:
    registry = logged.registry
    version = registry.register(name, logged.source, logged.run_id, {})
    with pytest.raises(ModelNotFound, match="nightly"):
        registry.resolve(ModelRef(name, alias="nightly"))
    with pytest.raises(ModelNotFound, match="7"):
        registry.resolve(ModelRef(name, version="7"))
    with pytest.raises(ModelNotFound, match="7"):
        registry.set_alias(name, "production", "7")
    with pytest.raises(ModelNotFound, match="7"):
        registry.download(replace(version, version="7"), tmp_path)
    with pytest.raises(ModelNotFound):
        registry.set_alias("no-such-model", "production", "1")


def test_an_unreachable_registry_is_unavailable_quickly(logged: Logged) -> None:
    registry = logged.unreachable()
    started = time.monotonic()
    with pytest.raises(ModelUnavailable):
        registry.resolve(ModelRef("demo", alias="production"))
    # Serving falls back to its cache at start-up; a long retry loop would stall it.
    assert time.monotonic() - started < 5
    with pytest.raises(ModelUnavailable):
        registry.list_versions("demo")


def test_registered_models_are_listed_by_name(logged: Logged, name: str) -> None:
    logged.registry.register(name, logged.source, logged.run_id, {})
    listed = logged.registry.list_models()
    assert name in listed
    assert list(listed) == sorted(listed)


def test_version_tags_are_added_and_shown_with_the_version(logged: Logged, name: str) -> None:
    registry = logged.registry
    registry.register(name, logged.source, logged.run_id, {"team": "risk"})
    registry.register(name, logged.source, logged.run_id, {})
    registry.set_version_tags(name, "1", {"predictor.alias.production.by": "alice", "empty": ""})
    registry.set_version_tags(name, "1", {"team": "fraud"})

    expected = {"team": "fraud", "predictor.alias.production.by": "alice", "empty": ""}
    assert registry.resolve(ModelRef(name, version="1")).tags == expected
    assert [v.tags for v in registry.list_versions(name)] == [{}, expected]
    with pytest.raises(ModelNotFound):
        registry.set_version_tags(name, "7", {"team": "x"})


def test_model_tags_are_kept_on_the_model_not_its_versions(logged: Logged, name: str) -> None:
    registry = logged.registry
    registry.register(name, logged.source, logged.run_id, {})
    assert registry.model_tags(name) == {}
    registry.set_model_tags(name, {"predictor.alias_history.production": '["1"]'})
    registry.set_model_tags(name, {"predictor.alias_history.production": '["1", "2"]', "owner": "risk"})

    assert registry.model_tags(name) == {"predictor.alias_history.production": '["1", "2"]', "owner": "risk"}
    assert registry.resolve(ModelRef(name, version="1")).tags == {}
    with pytest.raises(ModelNotFound):
        registry.model_tags("no-such-model")
    with pytest.raises(ModelNotFound):
        registry.set_model_tags("no-such-model", {"owner": "x"})


def test_an_unreachable_registry_cannot_list_models(logged: Logged) -> None:
    with pytest.raises(ModelUnavailable):
        logged.unreachable().list_models()
