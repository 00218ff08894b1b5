"""Use case: copy a registered version into another registry (staging account -> production).

The model files (booster, manifest, MLflow metadata) are published under a new prefix of the
destination's artifact store, the run metrics are logged on a run of the destination's
tracker, and only then is the version registered there, with the source's tags and a lineage
tag naming where it came from. So a copy stopped at any point leaves no registered version
(at most files under a prefix no version names, and a failed run); copying the same source
version again finds the lineage tag and does nothing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from predictor.domain.errors import ConfigurationError, ModelNotFound
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ArtifactStore, ExperimentTracker, ModelCatalog, ModelRegistry

log = logging.getLogger(__name__)

COPIED_FROM_TAG = "predictor.copied_from"  # "<source registry>#<name>/<version>"
COPIED_RUN_TAG = "predictor.copied_from_run"  # the run that trained it, in the source
COPY_EXPERIMENT = "predictor-copies"
# Alias moves happened in the source registry; in the destination they would be a false history.
_SOURCE_ONLY_TAGS = ("predictor.alias.",)


@dataclass(frozen=True)
class CopyOutcome:
    """The version in the destination, and whether this call created it (False: it was there)."""

    version: ModelVersion
    copied: bool
    lineage: str


def lineage_of(source_registry: str, version: ModelVersion) -> str:
    return f"{source_registry}#{version.name}/{version.version}"


class CopyModel:
    """Copy the version a reference names from ``source`` into this registry, as ``name``."""

    def __init__(self, target: ModelRegistry, tracker: ExperimentTracker, artifacts: ArtifactStore) -> None:
        self._target = target
        self._tracker = tracker
        self._artifacts = artifacts

    def __call__(
        self, source: ModelCatalog, source_registry: str, ref: ModelRef, name: str, artifacts_root: str
    ) -> CopyOutcome:
        """``source_registry`` names the source in the lineage tag (no credentials in it);
        ``artifacts_root`` is a path or URI (``s3://bucket/prefix``) the destination's readers
        can reach. Raises what the registries and the store raise; nothing is registered then."""
        version = source.resolve(ref)
        lineage = lineage_of(source_registry, version)
        found = self._copied_before(name, lineage)
        if found is not None:
            log.info("model already copied", extra={"model": name, "version": found.version})
            return CopyOutcome(found, False, lineage)
        location = self._location(artifacts_root, name, version)
        with self._artifacts.publish(location) as staging:
            source.download(version, staging)
        tags = {k: v for k, v in version.tags.items() if not k.startswith(_SOURCE_ONLY_TAGS)}
        tags[COPIED_FROM_TAG] = lineage
        if version.run_id:
            tags[COPIED_RUN_TAG] = version.run_id
        with self._tracker.start_run(COPY_EXPERIMENT, f"copy of {version.name}/{version.version}") as run:
            run.log_metrics(version.metrics)
            run.set_tags({COPIED_FROM_TAG: lineage})
            copied = self._target.register(name, location, run.run_id, tags)
        log.info(
            "model copied",
            extra={"model": name, "version": copied.version, "copied_from": lineage, "location": location},
        )
        return CopyOutcome(copied, True, lineage)

    def _copied_before(self, name: str, lineage: str) -> ModelVersion | None:
        try:
            versions = self._target.list_versions(name)
        except ModelNotFound:
            return None
        return next((v for v in versions if v.tags.get(COPIED_FROM_TAG) == lineage), None)

    @staticmethod
    def _location(root: str, name: str, version: ModelVersion) -> str:
        if not root.strip():
            raise ConfigurationError("name where the copied files go (a path or s3://bucket/prefix)")
        # A fresh prefix each time: files an interrupted copy left are never reused.
        tail = f"{name}/from-{version.name}-{version.version}-{uuid.uuid4().hex[:12]}"
        return f"{root.rstrip('/')}/{tail}"
