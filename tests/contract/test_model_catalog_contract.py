"""One ModelCatalog contract, run against the in-memory registry, MLflow on SQLite and an
exported model directory. Each holds two versions of one model, ``production`` naming the
newer; the exported directory holds only the version it was exported as."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from predictor.adapters.files.artifacts import LocalArtifactStore
from predictor.adapters.files.exported import ExportedModelCatalog
from predictor.adapters.memory import FixedClock, InMemoryArtifactStore, InMemoryModelRegistry
from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.domain.manifest import MANIFEST_FILE
from predictor.domain.model import ModelRef
from predictor.domain.ports import ArtifactStore, ModelCatalog, ModelRegistry
from predictor.services.registry.export import ExportModel
from tests.contract.registries import IMPLEMENTATIONS, Logged, log_model


@dataclass
class Stocked:
    """A catalog holding ``versions`` of ``name`` (newest first), ``production`` on the first."""

    catalog: ModelCatalog
    name: str
    versions: list[str]
    logged: Logged

    @property
    def production(self) -> ModelRef:
        return ModelRef(self.name, alias="production")


def _stock(registry: ModelRegistry, logged: Logged) -> str:
    name = f"contract-{uuid.uuid4().hex[:8]}"
    registry.register(name, logged.source, logged.run_id, {"team": "risk"})
    registry.register(name, logged.source, logged.run_id, {})
    registry.set_alias(name, "production", "2")
    return name


def _exported(logged: Logged, artifacts: ArtifactStore, where: str) -> Stocked:
    registry = InMemoryModelRegistry()
    name = _stock(registry, logged)
    clock = FixedClock(datetime(2026, 4, 1, tzinfo=UTC))
    ExportModel(registry, logged.runtime, artifacts, clock)(ModelRef(name, alias="production"), where)
    return Stocked(ExportedModelCatalog(where, artifacts), name, ["2"], logged)


@pytest.fixture(scope="module", params=[*IMPLEMENTATIONS, "exported", "exported-in-memory"])
def stocked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Stocked:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "exported":
        return _exported(log_model("memory", tmp), LocalArtifactStore(), str(tmp / "export"))
    if request.param == "exported-in-memory":  # as an export in an object store will be read
        return _exported(log_model("memory", tmp), InMemoryArtifactStore(), "memory://exports/demo")
    logged = log_model(request.param, tmp)
    return Stocked(logged.registry, _stock(logged.registry, logged), ["2", "1"], logged)


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def unreachable(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ModelCatalog:
    return log_model(request.param, tmp_path_factory.mktemp(request.param)).unreachable()


def test_an_alias_resolves_to_the_version_it_names(stocked: Stocked) -> None:
    by_alias = stocked.catalog.resolve(stocked.production)
    assert by_alias == stocked.catalog.resolve(ModelRef(stocked.name, version="2"))
    assert (by_alias.name, by_alias.version, by_alias.run_id) == (stocked.name, "2", stocked.logged.run_id)
    assert by_alias.aliases == ("production",)
    assert by_alias.source == stocked.logged.source
    assert by_alias.created_at is not None
    assert by_alias.created_at.tzinfo is not None


def test_versions_are_listed_newest_first_with_their_aliases(stocked: Stocked) -> None:
    listed = stocked.catalog.list_versions(stocked.name)
    assert [v.version for v in listed] == stocked.versions
    assert listed[0].aliases == ("production",)
    assert all(v.aliases == () for v in listed[1:])
    assert listed[0] == stocked.catalog.resolve(stocked.production)


def test_models_are_listed_by_name(stocked: Stocked) -> None:
    listed = stocked.catalog.list_models()
    assert stocked.name in listed
    assert list(listed) == sorted(listed)


def test_a_model_without_tags_has_none(stocked: Stocked) -> None:
    assert stocked.catalog.model_tags(stocked.name) == {}


def test_a_downloaded_version_loads_and_predicts_like_the_trained_model(
    stocked: Stocked, tmp_path: Path
) -> None:
    version = stocked.catalog.resolve(stocked.production)
    directory = stocked.catalog.download(version, tmp_path)

    assert directory == tmp_path
    assert (directory / MANIFEST_FILE).is_file()
    served = stocked.logged.runtime.load(directory)
    model, rows = stocked.logged.model, stocked.logged.rows
    assert served.manifest.schema == model.manifest.schema
    np.testing.assert_array_equal(served.predict(rows), model.predict(rows))


@pytest.mark.parametrize(
    "ref",
    [ModelRef("no-such-model", alias="production"), ModelRef("no-such-model", version="1")],
    ids=["alias", "version"],
)
def test_an_unknown_model_is_not_found(stocked: Stocked, ref: ModelRef) -> None:
    with pytest.raises(ModelNotFound, match="no-such-model"):
        stocked.catalog.resolve(ref)
    with pytest.raises(ModelNotFound, match="no-such-model"):
        stocked.catalog.list_versions("no-such-model")
    with pytest.raises(ModelNotFound, match="no-such-model"):
        stocked.catalog.model_tags("no-such-model")


def test_an_unknown_alias_or_version_is_not_found(stocked: Stocked, tmp_path: Path) -> None:
    catalog = stocked.catalog
    with pytest.raises(ModelNotFound, match="nightly"):
        catalog.resolve(ModelRef(stocked.name, alias="nightly"))
    with pytest.raises(ModelNotFound, match="7"):
        catalog.resolve(ModelRef(stocked.name, version="7"))
    with pytest.raises(ModelNotFound, match="7"):
        catalog.download(replace(catalog.resolve(stocked.production), version="7"), tmp_path)


def test_an_unreachable_catalog_is_unavailable(unreachable: ModelCatalog) -> None:
    with pytest.raises(ModelUnavailable):
        unreachable.resolve(ModelRef("demo", alias="production"))
    with pytest.raises(ModelUnavailable):
        unreachable.list_versions("demo")
    with pytest.raises(ModelUnavailable):
        unreachable.list_models()


def test_mlflow_gives_up_on_an_unreachable_server_after_two_quick_retries() -> None:
    # Serving falls back to its cache at start-up; MLflow's own retries would stall it.
    from predictor.adapters.mlflow.connection import HTTP_DEFAULTS
    from predictor.adapters.mlflow.registry import MlflowModelRegistry

    MlflowModelRegistry("http://127.0.0.1:1")
    for setting, value in HTTP_DEFAULTS.items():
        assert os.environ[setting] == value
