"""Model loads, reloads, fallbacks and failed loads are counted on the service's metrics, by
model and version, as the use cases run on the in-memory adapters."""

from __future__ import annotations

from pathlib import Path

import pytest

from predictor.container import Container
from predictor.domain.errors import ModelUnavailable
from tests.unit.builders import memory_container, train_demo
from tests.unit.variants import PRODUCTION, register_variant, registry_of


def counted(container: Container) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    drained = container.request_metrics().drain()
    return {(m.name, tuple(sorted(m.dimensions.items()))): m.value for m in drained if m.unit == "Count"}


@pytest.fixture
def loaded() -> Container:
    container = memory_container()
    train_demo(container)
    container.load_model()(PRODUCTION)
    return container


def test_a_load_is_counted_with_the_version_it_loaded(loaded: Container) -> None:
    assert counted(loaded)[("model_loads", (("model", "demo"), ("version", "1")))] == 1


def test_a_swap_is_a_reload_and_a_refused_version_one_failure(loaded: Container, tmp_path: Path) -> None:
    loaded.request_metrics().drain()
    registry = registry_of(loaded)
    second = register_variant(loaded, tmp_path)
    registry.set_alias("demo", "production", second)
    loaded.refresh_model()(PRODUCTION)
    broken = register_variant(loaded, tmp_path, corrupt=True)
    registry.set_alias("demo", "production", broken)
    for _ in range(3):  # the alias goes on naming it: one failure, not one per poll
        loaded.refresh_model()(PRODUCTION)
    events = counted(loaded)
    assert events[("model_reloads", (("model", "demo"), ("version", second)))] == 1
    assert events[("model_load_failures", (("model", "demo"),))] == 1
    assert events[("model_in_use", (("model", "demo"), ("version", second)))] == 1


def test_a_fallback_is_counted_with_where_it_came_from(loaded: Container) -> None:
    loaded.request_metrics().drain()
    registry_of(loaded).offline = True
    loaded.load_model()(PRODUCTION)  # a restart while the registry is down
    events = counted(loaded)
    assert events[("model_fallbacks", (("model", "demo"), ("origin", "cache"), ("version", "1")))] == 1


def test_a_load_that_fails_is_counted() -> None:
    container = memory_container()
    registry = registry_of(container)
    registry.offline = True
    with pytest.raises(ModelUnavailable):
        container.load_model()(PRODUCTION)
    assert counted(container)[("model_load_failures", (("model", "demo"),))] == 1
