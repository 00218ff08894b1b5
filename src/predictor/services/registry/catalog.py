"""Use cases: what the registry holds — models, their versions, aliases and alias histories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from predictor.domain.model import ModelVersion
from predictor.domain.ports import ModelCatalog
from predictor.services.registry.promotion import histories


@dataclass(frozen=True)
class ModelDescription:
    """One registered model: versions newest first, and each alias's earlier versions."""

    name: str
    versions: tuple[ModelVersion, ...]
    history: Mapping[str, tuple[str, ...]]

    @property
    def aliases(self) -> dict[str, str]:
        """Alias -> the version it names now."""
        return {alias: v.version for v in self.versions for alias in v.aliases}


class DescribeModel:
    """A registered model's versions (aliases, metrics, run, creation time, tags) and alias histories."""

    def __init__(self, catalog: ModelCatalog) -> None:
        self._catalog = catalog

    def __call__(self, name: str) -> ModelDescription:
        versions = tuple(self._catalog.list_versions(name))
        return ModelDescription(name, versions, histories(self._catalog.model_tags(name)))


class ListModels:
    """Every registered model, described."""

    def __init__(self, catalog: ModelCatalog) -> None:
        self._describe = DescribeModel(catalog)
        self._catalog = catalog

    def __call__(self) -> list[ModelDescription]:
        return [self._describe(name) for name in self._catalog.list_models()]
