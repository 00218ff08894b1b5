"""LoadModel: resolve, fetch once, check, swap; fall back to the last good version offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from predictor.adapters.memory import InMemoryModelRegistry, LinearModelRuntime
from predictor.container import Container
from predictor.domain.errors import InvalidModel, ModelNotFound, ModelUnavailable
from predictor.domain.manifest import MANIFEST_FILE
from predictor.domain.model import ModelRef
from predictor.services.serving.loading import ModelSlot, check_model
from tests.unit.builders import train_demo

PRODUCTION = ModelRef("demo", alias="production")


def registry_of(container: Container) -> InMemoryModelRegistry:
    registry = container.adapters.registry()
    assert isinstance(registry, InMemoryModelRegistry)
    return registry


def test_loading_puts_the_aliased_version_in_the_slot(container: Container) -> None:
    train_demo(container)
    served = container.load_model()(PRODUCTION)
    assert container.slot().ready
    assert container.slot().current() is served
    assert (served.version.version, served.alias, served.origin) == ("1", "production", "registry")


def test_a_version_is_downloaded_once_then_served_from_the_cache(container: Container) -> None:
    train_demo(container)
    container.load_model()(PRODUCTION)
    container.load_model()(PRODUCTION)
    assert registry_of(container).downloads == 1


def test_an_unknown_alias_is_not_found(container: Container) -> None:
    train_demo(container, promote_to=None)
    with pytest.raises(ModelNotFound):
        container.load_model()(PRODUCTION)
    assert not container.slot().ready


def test_registry_offline_at_start_up_serves_the_last_good_version_from_the_cache(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    train_demo(container)
    container.load_model()(PRODUCTION)
    registry_of(container).offline = True
    fresh_slot = ModelSlot()
    container.slot.override(fresh_slot)
    served = container.load_model()(PRODUCTION)
    assert served.origin == "cache"
    assert served.version.version == "1"
    assert fresh_slot.current() is served
    assert "serving the last good version" in caplog.text


def test_registry_offline_with_nothing_cached_is_unavailable(container: Container) -> None:
    train_demo(container)
    registry_of(container).offline = True
    with pytest.raises(ModelUnavailable, match="no version of models:/demo@production is cached"):
        container.load_model()(PRODUCTION)


def test_a_model_whose_example_does_not_fit_its_schema_is_refused(
    container: Container, tmp_path: Path
) -> None:
    train_demo(container)
    served = container.load_model()(PRODUCTION)
    directory = tmp_path / "broken"
    served.model.save(directory)  # type: ignore[attr-defined]  # LinearModel can save itself
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    manifest["input_example"] = [{"x1": "not a number", "x2": 1, "colour": "red"}]
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(InvalidModel, match="input example does not fit"):
        check_model(LinearModelRuntime().load(directory))


def test_a_model_without_an_example_cannot_be_checked(container: Container, tmp_path: Path) -> None:
    train_demo(container)
    served = container.load_model()(PRODUCTION)
    directory = tmp_path / "bare"
    served.model.save(directory)  # type: ignore[attr-defined]
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    manifest["input_example"] = []
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(InvalidModel, match="no input example"):
        check_model(LinearModelRuntime().load(directory))


def test_swapping_returns_the_previous_model(container: Container) -> None:
    train_demo(container)
    first = container.load_model()(PRODUCTION)
    train_demo(container)
    second = container.load_model()(PRODUCTION)
    assert second.version.version == "2"
    assert container.slot().current() is second
    assert first is not second
