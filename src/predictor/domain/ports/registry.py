"""The model registry: versions, aliases and tags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from predictor.domain.model import ModelRef, ModelVersion


class ModelRegistry(Protocol):
    """Registered models, their versions and aliases, and string tags on models and versions.

    Raises ``ModelNotFound`` for an unknown name, version or alias and
    ``ModelUnavailable`` when the registry cannot be reached.
    """

    def resolve(self, ref: ModelRef) -> ModelVersion:
        """The version ``ref`` names now."""
        ...

    def download(self, version: ModelVersion, destination: Path) -> Path:
        """Copy the version's model directory under ``destination``; return its path."""
        ...

    def register(self, name: str, source: str, run_id: str | None, tags: Mapping[str, str]) -> ModelVersion:
        """Create a new version of ``name`` from the logged model at ``source``."""
        ...

    def set_alias(self, name: str, alias: str, version: str) -> None: ...

    def list_versions(self, name: str) -> Sequence[ModelVersion]:
        """Every version of ``name``, newest first, each with its aliases."""
        ...

    def list_models(self) -> Sequence[str]:
        """The names of every registered model, sorted; empty when there is none."""
        ...

    def set_version_tags(self, name: str, version: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags on one version (``ModelVersion.tags`` shows them)."""
        ...

    def model_tags(self, name: str) -> Mapping[str, str]:
        """The tags of the registered model ``name`` itself (not of its versions)."""
        ...

    def set_model_tags(self, name: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags on the registered model ``name``."""
        ...
