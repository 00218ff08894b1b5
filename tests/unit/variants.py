"""Registering variants of the trained demo model (renamed features, broken files, ...) in the
in-memory registry, to drive promotion and reload through their cases."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from predictor.adapters.files.manifests import read_manifest, write_manifest
from predictor.adapters.memory import WEIGHTS_FILE, InMemoryModelRegistry
from predictor.container import Container
from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelRef
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema

PRODUCTION = ModelRef("demo", alias="production")


def registry_of(container: Container) -> InMemoryModelRegistry:
    registry = container.adapters.registry()
    assert isinstance(registry, InMemoryModelRegistry)
    return registry


def register_variant(
    container: Container,
    root: Path,
    manifest: Callable[[ModelManifest], ModelManifest] | None = None,
    corrupt: bool = False,
) -> str:
    """A new version of demo: version 1's model directory, its manifest changed by ``manifest``,
    its weights file unreadable when ``corrupt``. Returns the new version number."""
    registry = registry_of(container)
    source = Path(registry.resolve(ModelRef("demo", version="1")).source)
    directory = root / f"variant-{uuid.uuid4().hex[:8]}"
    shutil.copytree(source, directory)
    if manifest is not None:
        write_manifest(manifest(read_manifest(directory)), directory)
    if corrupt:
        (directory / WEIGHTS_FILE).write_text("not weights")
    return registry.register("demo", str(directory), None, {}).version


def with_features(change: Callable[[Feature], Feature]) -> Callable[[ModelManifest], ModelManifest]:
    """A manifest change applying ``change`` to every feature (and to the example rows' keys)."""

    def apply(manifest: ModelManifest) -> ModelManifest:
        schema = manifest.schema
        features = tuple(change(f) for f in schema.features)
        renamed = {old.name: new.name for old, new in zip(schema.features, features, strict=True)}
        example = tuple({renamed[k]: v for k, v in row.items()} for row in manifest.input_example)
        return replace(manifest, schema=replace(schema, features=features), input_example=example)

    return apply


def renamed(old: str, new: str) -> Callable[[ModelManifest], ModelManifest]:
    return with_features(lambda f: replace(f, name=new) if f.name == old else f)


def categories(name: str, vocabulary: tuple[str, ...]) -> Callable[[ModelManifest], ModelManifest]:
    return with_features(
        lambda f: (
            replace(f, categories=vocabulary) if f.name == name and f.kind is FeatureKind.CATEGORICAL else f
        )
    )


def schema_of(container: Container) -> FeatureSchema:
    return container.slot().current().model.manifest.schema
