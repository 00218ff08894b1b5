"""InMemoryModelRegistry: both registry ports over dicts; ``offline`` mimics an unreachable registry."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from predictor.adapters.files.manifests import read_manifest
from predictor.adapters.system.clock import SystemClock
from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import Clock, ModelRegistry


@dataclass
class _Entry:
    version: ModelVersion
    directory: Path


class InMemoryModelRegistry(ModelRegistry):
    """The catalog and the publisher of one registry: versions and aliases in dicts, model
    directories left where the tracker wrote them.

    ``offline = True`` makes every call raise ``ModelUnavailable``, as an unreachable
    registry does; ``refuse_registrations = True`` makes only ``register`` raise it, as a
    registry lost between reading it and writing to it does.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._models: dict[str, list[_Entry]] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self._model_tags: dict[str, dict[str, str]] = {}
        self._clock = clock or SystemClock()
        self.offline = False
        self.refuse_registrations = False
        self.downloads = 0

    def _check_online(self) -> None:
        if self.offline:
            raise ModelUnavailable("the in-memory registry is offline")

    def _entries(self, name: str) -> list[_Entry]:
        if name not in self._models:
            raise ModelNotFound(f"no registered model named {name!r}")
        return self._models[name]

    def _with_aliases(self, version: ModelVersion) -> ModelVersion:
        aliases = tuple(
            sorted(a for (n, a), v in self._aliases.items() if n == version.name and v == version.version)
        )
        return replace(version, aliases=aliases)

    def resolve(self, ref: ModelRef) -> ModelVersion:
        self._check_online()
        entries = self._entries(ref.name)
        wanted = ref.version
        if ref.alias is not None:
            wanted = self._aliases.get((ref.name, ref.alias))
            if wanted is None:
                raise ModelNotFound(f"model {ref.name!r} has no alias {ref.alias!r}")
        for entry in entries:
            if entry.version.version == wanted:
                return self._with_aliases(entry.version)
        raise ModelNotFound(f"model {ref.name!r} has no version {wanted}")

    def download(self, version: ModelVersion, destination: Path) -> Path:
        self._check_online()
        for entry in self._entries(version.name):
            if entry.version.version == version.version:
                shutil.copytree(entry.directory, destination, dirs_exist_ok=True)
                self.downloads += 1
                return destination
        raise ModelNotFound(f"model {version.name!r} has no version {version.version}")

    def register(self, name: str, source: str, run_id: str | None, tags: Mapping[str, str]) -> ModelVersion:
        self._check_online()
        if self.refuse_registrations:
            raise ModelUnavailable("the in-memory registry refused the registration")
        directory = Path(source)
        if not directory.is_dir():
            raise ModelNotFound(f"nothing is logged at {source}")
        entries = self._models.setdefault(name, [])
        manifest = read_manifest(directory)
        version = ModelVersion(
            name=name,
            version=str(len(entries) + 1),
            run_id=run_id,
            created_at=self._clock.now(),
            source=source,
            tags=dict(tags),
            # As MLflow reports them: the run's metrics, which training logs as test_<name>.
            metrics={f"test_{k}": v for k, v in manifest.metrics.items()},
        )
        entries.append(_Entry(version, directory))
        return version

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._check_online()
        if not any(e.version.version == version for e in self._entries(name)):
            raise ModelNotFound(f"model {name!r} has no version {version}")
        self._aliases[(name, alias)] = version

    def list_versions(self, name: str) -> Sequence[ModelVersion]:
        self._check_online()
        return [self._with_aliases(e.version) for e in reversed(self._entries(name))]

    def list_models(self) -> Sequence[str]:
        self._check_online()
        return sorted(self._models)

    def set_version_tags(self, name: str, version: str, tags: Mapping[str, str]) -> None:
        self._check_online()
        for entry in self._entries(name):
            if entry.version.version == version:
                entry.version = replace(entry.version, tags={**entry.version.tags, **tags})
                return
        raise ModelNotFound(f"model {name!r} has no version {version}")

    def model_tags(self, name: str) -> Mapping[str, str]:
        self._check_online()
        self._entries(name)
        return dict(self._model_tags.get(name, {}))

    def set_model_tags(self, name: str, tags: Mapping[str, str]) -> None:
        self._check_online()
        self._entries(name)
        self._model_tags.setdefault(name, {}).update(tags)
