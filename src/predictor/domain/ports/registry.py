"""The model registry, split by what its users do: read it (``ModelCatalog``) or change it
(``ModelPublisher``). ``ModelRegistry`` is both sides of one store, for the use cases that read
back what they write (promotion keeps an alias's history; training registers, then promotes).

Every method raises ``ModelNotFound`` for an unknown name, version or alias and
``ModelUnavailable`` when the registry cannot be reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from predictor.domain.model import ModelRef, ModelVersion


class ModelCatalog(Protocol):
    """The read side: registered models, their versions and aliases, tags, and the model files."""

    def resolve(self, ref: ModelRef) -> ModelVersion:
        """The version ``ref`` names now, with its aliases, tags and run metrics."""
        ...

    def list_versions(self, name: str) -> Sequence[ModelVersion]:
        """Every version of ``name``, newest first, each with its aliases."""
        ...

    def list_models(self) -> Sequence[str]:
        """The names of every registered model, sorted; empty when there is none."""
        ...

    def model_tags(self, name: str) -> Mapping[str, str]:
        """The tags of the registered model ``name`` itself (not of its versions)."""
        ...

    def download(self, version: ModelVersion, destination: Path) -> Path:
        """Write the version's model files into ``destination``, an existing local directory
        (empty, or at least holding none of their names), and return ``destination``. Raises
        ``InvalidModel`` when the version holds no model predictor can serve (no manifest)."""
        ...


class ModelPublisher(Protocol):
    """The write side: new versions, alias moves and tags."""

    def register(self, name: str, source: str, run_id: str | None, tags: Mapping[str, str]) -> ModelVersion:
        """Create the next version of ``name`` (and the model, if new) from the logged model
        at ``source``, with ``tags``; return it as ``ModelCatalog.resolve`` would."""
        ...

    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Point ``alias`` of ``name`` at ``version``, wherever it pointed before."""
        ...

    def set_version_tags(self, name: str, version: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags on one version (``ModelVersion.tags`` shows them)."""
        ...

    def set_model_tags(self, name: str, tags: Mapping[str, str]) -> None:
        """Add or overwrite tags on the registered model ``name``."""
        ...


class ModelRegistry(ModelCatalog, ModelPublisher, Protocol):
    """Both sides of one registry: what a publisher writes, its catalog reads back."""
