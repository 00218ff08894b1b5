"""Exported model directories: written by ExportModel, read as a one-version catalog
(ExportedModelCatalog) by every reader: served through LoadModel like a registry's version,
and as the start-up fallback; on the in-memory adapters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dependency_injector import providers

from predictor.adapters.files.exported import ExportedModelCatalog
from predictor.adapters.memory import FixedClock
from predictor.container import Container
from predictor.domain.errors import ConfigurationError, InvalidModel, ModelNotFound, ModelUnavailable
from predictor.domain.exported import EXPORT_RECORD_FILE
from predictor.domain.manifest import MANIFEST_FILE
from predictor.domain.model import ModelRef
from predictor.services.serving.loading import ModelSlot
from predictor.services.serving.refresh import RefreshStatus
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import AUTH, row, serve, with_keys
from tests.unit.variants import PRODUCTION, register_variant, registry_of

AT = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def exported(container: Container, tmp_path: Path) -> Path:
    """demo@production (version 1) exported to tmp_path/export."""
    container.adapters.clock.override(providers.Object(FixedClock(AT)))
    train_demo(container)
    container.export_model()(PRODUCTION, tmp_path / "export")
    return tmp_path / "export"


def test_an_export_holds_the_model_and_a_version_record(exported: Path, container: Container) -> None:
    assert (exported / MANIFEST_FILE).is_file()
    assert (exported / "weights.json").is_file()
    record = ExportedModelCatalog(exported).record
    assert record.ref == PRODUCTION
    assert record.exported_at == AT
    assert (record.version.name, record.version.version, record.version.run_id) == ("demo", "1", "run-1")
    assert record.version.aliases == ("production",)
    raw = json.loads((exported / EXPORT_RECORD_FILE).read_text())
    assert {"name", "version", "run_id", "created_at", "aliases", "ref", "exported_at"} <= set(raw)
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_an_export_serves_without_the_registry(exported: Path, container: Container) -> None:
    registry_of(container).offline = True
    serving = memory_container(model_dir=exported)
    slot = ModelSlot()
    serving.slot.override(slot)
    served = serving.model_keeper().load()
    assert serving.model_ref() == PRODUCTION
    assert (served.version.version, served.alias, served.origin) == ("1", "production", "export")
    assert slot.current() is served


def test_exporting_into_a_non_empty_directory_is_refused(container: Container, tmp_path: Path) -> None:
    train_demo(container)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(ConfigurationError, match="already exists"):
        container.export_model()(PRODUCTION, tmp_path / "taken")
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]
    (tmp_path / "empty").mkdir()
    container.export_model()(PRODUCTION, tmp_path / "empty")
    assert (tmp_path / "empty" / EXPORT_RECORD_FILE).is_file()


def test_a_version_that_does_not_serve_is_not_exported(container: Container, tmp_path: Path) -> None:
    train_demo(container)
    broken = register_variant(container, tmp_path, corrupt=True)
    with pytest.raises(InvalidModel):
        container.export_model()(ModelRef("demo", version=broken), tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_directory_that_is_not_an_export_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidModel, match="not a directory written by `predictor export`"):
        memory_container(model_dir=tmp_path).model_ref()
    (tmp_path / EXPORT_RECORD_FILE).write_text('{"format_version": 1, "name": "demo"}')
    with pytest.raises(InvalidModel, match="malformed"):
        memory_container(model_dir=tmp_path).model_ref()


def test_the_exported_catalog_holds_one_version(exported: Path, tmp_path: Path) -> None:
    registry = ExportedModelCatalog(exported)
    assert registry.resolve(PRODUCTION).version == "1"
    assert registry.resolve(ModelRef("demo", version="1")).version == "1"
    assert [v.version for v in registry.list_versions("demo")] == ["1"]
    assert registry.list_models() == ["demo"]
    for ref in (
        ModelRef("demo", alias="staging"),
        ModelRef("demo", version="2"),
        ModelRef("wine", alias="production"),
    ):
        with pytest.raises(ModelNotFound):
            registry.resolve(ref)
    (tmp_path / "copy").mkdir()
    copy = registry.download(registry.resolve(PRODUCTION), tmp_path / "copy")
    assert copy == tmp_path / "copy"
    assert (copy / MANIFEST_FILE).is_file()


def test_a_served_export_refuses_what_writes_the_registry(exported: Path) -> None:
    container = memory_container(model_dir=exported)
    assert container.describe_model()("demo").aliases == {"production": "1"}
    for build in (container.promote_model, container.rollback_model, container.train_model):
        with pytest.raises(ConfigurationError, match="an exported model directory is read-only"):
            build()


def test_registry_unreachable_at_start_up_with_nothing_cached_serves_the_fallback_export(
    tmp_path: Path,
) -> None:
    source = memory_container()
    train_demo(source)
    source.export_model()(PRODUCTION, tmp_path / "baked")

    container = memory_container(fallback_model_dir=tmp_path / "baked")
    train_demo(container)
    registry_of(container).offline = True
    served = container.load_model()(PRODUCTION)
    assert (served.origin, served.version.version) == ("export", "1")

    other = memory_container(fallback_model_dir=tmp_path / "baked")
    registry_of(other).offline = True
    with pytest.raises(ModelUnavailable, match="no version of models:/wine@production is cached"):
        other.load_model()(ModelRef("wine", alias="production"))


def test_the_service_serves_a_model_dir_and_reports_its_version(exported: Path) -> None:
    container = with_keys(memory_container(model_dir=exported, reload_interval_s=0.01))
    with serve(container) as client:
        ready = client.get("/health/ready", headers=AUTH)
        current = client.get("/v1/models/current", headers=AUTH).json()
        versions = client.get("/v1/models", headers=AUTH).json()
        predicted = client.post("/predict", json={"instances": [row()]}, headers=AUTH)
        refresh = container.refresh_model()(container.model_ref())

    assert ready.json()["model"] == {"name": "demo", "version": "1", "alias": "production", "run_id": "run-1"}
    assert current["origin"] == "export"
    assert [v["version"] for v in versions["versions"]] == ["1"]
    assert predicted.headers["X-Model-Version"] == "1"
    assert refresh.status is RefreshStatus.UNCHANGED
