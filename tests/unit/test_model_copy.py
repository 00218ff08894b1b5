"""`CopyModel` between two in-memory registries (each its own container, as two accounts):
the copy predicts as the original, carries files, manifest, metrics, tags and lineage; copying
again is a no-op; a copy stopped part way (the store, or the registry, failing) registers nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dependency_injector import providers

from predictor.adapters.memory import InMemoryArtifactStore, InMemoryModelRegistry, synthetic_table
from predictor.container import Container
from predictor.domain.encoding.inputs import Columns
from predictor.domain.encoding.values import ValueFormat
from predictor.domain.errors import ConfigurationError, InvalidInput, ModelNotFound, ModelUnavailable
from predictor.domain.model import ModelRef
from predictor.entrypoints.cli.models_copy import artifacts_root, destination_name, registry_label
from predictor.services.registry.copy import COPIED_FROM_TAG, COPIED_RUN_TAG, CopyOutcome
from tests.unit.builders import memory_container, train_demo

STAGING = "sqlite:///staging.db"


@pytest.fixture
def staging() -> Container:
    container = memory_container()
    train_demo(container)
    train_demo(container, seed=7)  # version 2, now in production
    container.adapters.registry().set_version_tags("demo", "2", {"team": "fraud"})
    return container


def copy(staging: Container, production: Container, root: Path, ref: str = "demo@production") -> CopyOutcome:
    return production.copy_model()(staging.catalog(), STAGING, ModelRef.parse(ref), "demo", str(root))


def scores(container: Container, version: str) -> np.ndarray:
    served = container.load_model()(ModelRef("demo", version=version))
    columns = {k: v for k, v in synthetic_table(rows=50, seed=3).columns.items() if k != "label"}
    encoded = Columns(columns, ValueFormat.JSON).encode(served.encoder)
    return np.asarray(served.model.predict(encoded.matrix))


def test_a_copy_predicts_as_the_original_and_names_its_source(staging: Container, tmp_path: Path) -> None:
    production = memory_container()

    outcome = copy(staging, production, tmp_path / "prod-bucket")

    assert outcome.copied
    copied = production.catalog().resolve(ModelRef("demo", version="1"))
    original = staging.catalog().resolve(ModelRef("demo", version="2"))
    assert copied.tags[COPIED_FROM_TAG] == f"{STAGING}#demo/2" == outcome.lineage
    assert copied.tags[COPIED_RUN_TAG] == original.run_id
    assert copied.tags["team"] == "fraud"
    assert not [k for k in copied.tags if k.startswith("predictor.alias.")]  # moves made in staging
    assert copied.metrics == original.metrics
    assert copied.metrics
    assert Path(copied.source).parent == tmp_path / "prod-bucket" / "demo"
    files = sorted(p.name for p in Path(copied.source).iterdir())
    assert "manifest.json" in files
    np.testing.assert_array_equal(scores(production, "1"), scores(staging, "2"))
    (run,) = production.adapters.tracker().runs
    assert run.finished
    assert run.metrics == dict(original.metrics)


def test_copying_again_is_a_no_op(staging: Container, tmp_path: Path) -> None:
    production = memory_container()
    first = copy(staging, production, tmp_path)

    again = copy(staging, production, tmp_path, ref="demo/2")  # the same version, named otherwise

    assert not again.copied
    assert again.version.version == first.version.version == "1"
    assert [v.version for v in production.catalog().list_versions("demo")] == ["1"]
    assert len(list((tmp_path / "demo").iterdir())) == 1
    assert copy(staging, production, tmp_path, ref="demo/1").version.version == "2"  # another version


def test_a_store_failing_part_way_registers_nothing(staging: Container) -> None:
    production = memory_container()
    store = InMemoryArtifactStore()
    store.fail_after = 1
    production.adapters.artifacts.override(providers.Object(store))

    with pytest.raises(ModelUnavailable, match="failed after 1 files"):
        copy(staging, production, Path("/bucket"))

    with pytest.raises(ModelNotFound):
        production.catalog().list_versions("demo")
    assert production.adapters.tracker().runs == []  # the run starts after the files are in place


def test_a_registry_failing_at_registration_registers_nothing_and_a_retry_copies(
    staging: Container, tmp_path: Path
) -> None:
    production = memory_container()
    registry = production.adapters.registry()
    assert isinstance(registry, InMemoryModelRegistry)
    registry.refuse_registrations = True

    with pytest.raises(ModelUnavailable, match="refused the registration"):
        copy(staging, production, tmp_path)

    with pytest.raises(ModelNotFound):
        registry.list_versions("demo")
    (failed,) = production.adapters.tracker().runs
    assert failed.failed
    registry.refuse_registrations = False
    retried = copy(staging, production, tmp_path)
    assert retried.copied
    assert retried.version.version == "1"
    assert len(list((tmp_path / "demo").iterdir())) == 2  # the first attempt's files are never reused


def test_an_unknown_source_is_not_found_and_an_empty_root_refused(staging: Container, tmp_path: Path) -> None:
    production = memory_container()
    with pytest.raises(ModelNotFound):
        copy(staging, production, tmp_path, ref="demo@nowhere")
    with pytest.raises(ConfigurationError, match="where the copied files go"):
        production.copy_model()(staging.catalog(), STAGING, ModelRef.parse("demo/1"), "demo", " ")


def test_the_lineage_never_records_credentials_and_names_are_checked(tmp_path: Path) -> None:
    assert registry_label("postgresql://alice:s3cret@db.staging:5432/mlflow?sslmode=require") == (
        "postgresql://db.staging:5432/mlflow"
    )
    assert registry_label("https://token@mlflow.staging") == "https://mlflow.staging"
    assert registry_label("sqlite:///work/staging.db") == "sqlite:///work/staging.db"
    assert destination_name("models:/demo") == destination_name("demo") == "demo"
    with pytest.raises(InvalidInput, match="not a model name"):
        destination_name("models:/demo/2")
    assert artifacts_root("s3://prod/models") == "s3://prod/models"
    assert artifacts_root(str(tmp_path / "x")) == str(tmp_path / "x")
    assert Path(artifacts_root("relative/dir")).is_absolute()
