"""Builders for unit tests: the in-memory adapter set with a trained, registered model."""

from __future__ import annotations

from predictor.adapters.memory import synthetic_table
from predictor.adapters.memory.container import InMemoryAdapters
from predictor.config import load_settings
from predictor.container import Container, build_container
from predictor.domain.model import ModelRef
from predictor.domain.schema import TaskType
from predictor.services.training.pipeline import TrainingRequest


def memory_container(task: TaskType = TaskType.BINARY, **settings: object) -> Container:
    container = build_container(load_settings(**{"profile": "test", **settings}), InMemoryAdapters)
    container.adapters.datasets().tables["synthetic"] = synthetic_table(task=task)
    return container


def train_demo(container: Container, promote_to: str | None = "production", seed: int = 42) -> str:
    outcome = container.train_model()(
        TrainingRequest(dataset="synthetic", register_as="demo", promote_to=promote_to, seed=seed)
    )
    assert outcome.version is not None
    return outcome.version.version


def serving(task: TaskType = TaskType.BINARY, **settings: object) -> Container:
    container = memory_container(task, **settings)
    train_demo(container)
    container.load_model()(ModelRef("demo", alias="production"))
    return container
