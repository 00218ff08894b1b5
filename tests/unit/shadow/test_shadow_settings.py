"""PREDICTOR_SHADOW_*: read as a ShadowSpec, and a shadow that cannot be built stops the start-up
in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from predictor.config import load_settings
from predictor.container.shadow import shadow_spec
from predictor.domain.errors import ConfigurationError, InvalidModel
from predictor.domain.served import ShadowSpec
from predictor.entrypoints.http.app import create_app
from tests.unit.builders import memory_container
from tests.unit.http.conftest import with_keys
from tests.unit.shadow.serving import shadowed


def test_the_settings_are_one_small_value() -> None:
    assert shadow_spec(load_settings(profile="test").shadow) is None
    assert shadow_spec(load_settings(profile="test", shadow_model="").shadow) is None
    spec = shadow_spec(load_settings(profile="test", shadow_model="demo/7", shadow_sample_percent=5).shadow)
    assert spec == ShadowSpec("demo/7", 5.0)


@pytest.mark.parametrize("percent", [-1, 100.5])
def test_a_share_outside_0_to_100_is_refused(percent: float) -> None:
    with pytest.raises(ConfigurationError, match="PREDICTOR_SHADOW_SAMPLE_PERCENT"):
        load_settings(profile="test", shadow_sample_percent=percent)
    with pytest.raises(ValueError, match="0 to 100"):
        ShadowSpec("demo@challenger", percent)


def test_a_directory_that_was_not_exported_stops_the_start_up(tmp_path: Path) -> None:
    container = shadowed(str(tmp_path / "nowhere"))
    with pytest.raises(InvalidModel, match=r"^PREDICTOR_SHADOW_MODEL: "):
        create_app(container)


def test_a_registry_shadow_of_an_exported_model_stops_the_start_up(tmp_path: Path) -> None:
    served = shadowed(None)
    exported = tmp_path / "exported"
    from predictor.domain.model import ModelRef

    served.export_model()(ModelRef("demo", alias="production"), exported)
    container = with_keys(memory_container(shadow_model="demo@challenger", model_dir=exported))
    with pytest.raises(ConfigurationError, match="names a registry version, but the service serves exported"):
        create_app(container)


def test_an_exported_shadow_directory_under_home_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from predictor.domain.model import ModelRef

    shadowed(None).export_model()(ModelRef("demo", alias="production"), tmp_path / "exported")
    monkeypatch.setenv("HOME", str(tmp_path))
    container = shadowed("~/exported")
    assert list(container.shadows()) == ["demo"]
