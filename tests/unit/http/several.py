"""Several models behind one in-process server: demo (the default), wine and an exported copy
of demo, each trained on the in-memory adapters; ghost is listed and never registered."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from dependency_injector import providers

from predictor.adapters.memory import StaticProcessMemory, StaticSecretStore, synthetic_table
from predictor.adapters.memory.container import InMemoryAdapters
from predictor.config import ADMIN_API_KEYS_SECRET, API_KEYS_SECRET, load_settings
from predictor.container import Container, build_container
from predictor.domain.model import ModelRef
from predictor.services.training.pipeline import TrainingRequest
from tests.unit.builders import train_demo
from tests.unit.http.conftest import API_KEY

ADMIN_KEY = "admin-key-0123456789abcdef"
SCOPED_KEY = "scoped-key-0123456789abcdef"
ADMIN = {"X-API-Key": ADMIN_KEY}
SCOPED = {"X-API-Key": SCOPED_KEY}
# Each reading of the process's size is this many bytes more than the one before.
STEP = 4096


def register(container: Container, name: str, seed: int = 7) -> None:
    container.train_model()(
        TrainingRequest(dataset="synthetic", register_as=name, promote_to="production", seed=seed)
    )


def several(tmp_path: Path, *, with_ghost: bool = True, **settings: object) -> Container:
    """demo=demo@production (default), wine=wine@production, copy=<demo exported>[, ghost]."""
    exported = tmp_path / "exported-demo"
    models = f"demo=demo@production,wine=wine@production,copy={exported}"
    models += ",ghost=ghost@production" if with_ghost else ""
    container: Container = build_container(
        load_settings(profile="test", models=models, **settings), InMemoryAdapters
    )
    container.adapters.datasets().tables["synthetic"] = synthetic_table()
    keys = {API_KEYS_SECRET: [API_KEY, SCOPED_KEY], ADMIN_API_KEYS_SECRET: [ADMIN_KEY]}
    container.adapters.secrets.override(providers.Object(StaticSecretStore(keys)))
    container.adapters.process_memory.override(providers.Object(StaticProcessMemory(10**8, step=STEP)))
    train_demo(container)
    register(container, "wine")
    container.export_model()(ModelRef("demo", alias="production"), exported)
    return container


def eventually(check: Callable[[], bool], within_s: float = 20.0) -> None:
    """Until ``check()`` holds (the keepers retry in the background); fails after ``within_s``."""
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.02)
