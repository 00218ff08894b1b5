"""TrainModel on the in-memory adapters: schema, split, metrics, tracking, registry, alias."""

from __future__ import annotations

import numpy as np
import pytest

from predictor.adapters.memory import InMemoryExperimentTracker
from predictor.container import Container
from predictor.domain.errors import DataError
from predictor.domain.model import ModelRef
from predictor.domain.schema import FeatureKind, TaskType
from predictor.domain.table import Table
from predictor.services.training.metrics import evaluate, roc_auc
from predictor.services.training.pipeline import TrainingRequest, build_schema, infer_task, split_indices
from tests.unit.builders import memory_container


def tracker_of(container: Container) -> InMemoryExperimentTracker:
    tracker = container.adapters.tracker()
    assert isinstance(tracker, InMemoryExperimentTracker)
    return tracker


def test_training_logs_a_run_registers_a_version_and_moves_the_alias(container: Container) -> None:
    outcome = container.train_model()(
        TrainingRequest(dataset="synthetic", register_as="demo", promote_to="production")
    )
    (run,) = tracker_of(container).runs
    assert run.finished
    assert run.params["seed"] == 42
    assert set(run.metrics) == {
        f"test_{m}" for m in ("accuracy", "roc_auc", "log_loss", "f1", "precision", "recall")
    }
    assert len(run.tags["predictor.data_fingerprint"]) == 64
    assert outcome.version is not None
    assert container.adapters.registry().resolve(ModelRef("demo", alias="production")) == (
        container.adapters.registry().resolve(ModelRef("demo", version=outcome.version.version))
    )
    assert outcome.metrics["roc_auc"] > 0.9


def test_training_without_register_only_tracks(container: Container) -> None:
    outcome = container.train_model()(TrainingRequest(dataset="synthetic"))
    assert outcome.version is None
    assert len(tracker_of(container).runs) == 1


def test_the_same_seed_gives_the_same_metrics() -> None:
    first = memory_container().train_model()(TrainingRequest(dataset="synthetic", seed=7))
    second = memory_container().train_model()(TrainingRequest(dataset="synthetic", seed=7))
    assert first.metrics == second.metrics


def test_an_unknown_data_set_is_a_data_error(container: Container) -> None:
    with pytest.raises(DataError, match="unknown data set 'nope'"):
        container.train_model()(TrainingRequest(dataset="nope"))


def test_string_columns_become_categorical_with_a_vocabulary() -> None:
    table = Table("t", {"a": [1.0, 2.0, 3.0], "b": ["x", "y", None], "y": ["p", "q", "p"]}, target="y")
    schema = build_schema(table, task=None)
    assert [f.kind for f in schema.features] == [FeatureKind.NUMERIC, FeatureKind.CATEGORICAL]
    assert schema.features[1].categories == ("x", "y")
    assert schema.target.labels == ("p", "q")


def test_the_data_sets_class_order_is_kept() -> None:
    table = Table(
        "t", {"a": [1, 2], "y": ["malignant", "benign"]}, target="y", class_order=("malignant", "benign")
    )
    assert build_schema(table, task=None).target.labels == ("malignant", "benign")


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["a", "b", "a"], TaskType.BINARY),
        (["a", "b", "c"], TaskType.MULTICLASS),
        ([0, 1, 1, 0], TaskType.BINARY),
        ([0.5, 1.25, 3.0], TaskType.REGRESSION),
        (list(range(100)), TaskType.REGRESSION),
    ],
)
def test_the_task_is_inferred_from_the_target(values: list[object], task: TaskType) -> None:
    assert infer_task(values) is task


def test_the_split_is_stratified_disjoint_and_seeded() -> None:
    truth = np.array([0.0] * 80 + [1.0] * 20)
    train, valid, test = split_indices(truth, TaskType.BINARY, (0.2, 0.2), seed=1)
    assert len(set(train) | set(valid) | set(test)) == 100
    assert truth[test].mean() == pytest.approx(0.2)
    again = split_indices(truth, TaskType.BINARY, (0.2, 0.2), seed=1)
    assert all(np.array_equal(a, b) for a, b in zip((train, valid, test), again, strict=True))


def test_roc_auc_handles_ties_and_perfect_order() -> None:
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5


def test_regression_metrics() -> None:
    metrics = evaluate(TaskType.REGRESSION, np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    assert metrics["mae"] == pytest.approx(1 / 3)
    assert metrics["rmse"] == pytest.approx((1 / 3) ** 0.5)
