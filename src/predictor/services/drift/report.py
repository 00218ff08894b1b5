"""Use case: compare the requests captured for a model with its training data's reference
profile, write ``drift.json`` and ``drift.html``, and log both to a tracked run."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from predictor.domain.drift import Tally, Thresholds, compare
from predictor.domain.errors import DataError
from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import (
    ArtifactStore,
    CaptureSource,
    Clock,
    ExperimentTracker,
    ManifestSource,
    ModelCatalog,
)
from predictor.domain.reference import ReferenceProfile
from predictor.domain.schema import Feature, FeatureKind
from predictor.services.drift.page import render_page
from predictor.services.drift.summary import DriftReport

JSON_FILE, HTML_FILE = "drift.json", "drift.html"


@dataclass(frozen=True)
class DriftRequest:
    """Which model, where its captured rows are, since when (a moment, or a time before now),
    where the report goes, and the thresholds."""

    model: ModelRef
    captured: str
    out: str
    since: datetime | timedelta | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    experiment: str = "predictor"


class ReportDrift:
    """Compare captured requests with the reference profile training stored in the manifest."""

    def __init__(
        self,
        catalog: ModelCatalog,
        manifests: ManifestSource,
        captures: CaptureSource,
        tracker: ExperimentTracker,
        artifacts: ArtifactStore,
        clock: Clock,
    ) -> None:
        self._catalog = catalog
        self._manifests = manifests
        self._captures = captures
        self._tracker = tracker
        self._artifacts = artifacts
        self._clock = clock

    def __call__(self, request: DriftRequest) -> DriftReport:
        version = self._catalog.resolve(request.model)
        manifest = self._manifests.manifest(version)
        reference = reference_of(manifest, version)
        made = self._clock.now()
        since = since_of(request.since, made)
        report = self._compare(request, version, manifest, reference, since, made)
        return self._publish(report, request)

    def _compare(
        self,
        request: DriftRequest,
        version: ModelVersion,
        manifest: ModelManifest,
        reference: ReferenceProfile,
        since: datetime | None,
        made: datetime,
    ) -> DriftReport:
        schema = manifest.schema
        tallies = {f.name: Tally(reference.features[f.name]) for f in schema.features}
        predictions = Tally(reference.prediction)
        versions: set[str] = set()
        left_out: Counter[str] = Counter()
        labelled = schema.target.task.is_classification
        for batch in self._captures.batches(request.captured, schema.names, labelled, since, version):
            left_out.update(batch.left_out)
            if not batch.rows:
                continue
            for name, tally in tallies.items():
                tally.add(batch.features[name])
            predictions.add(batch.prediction)
            versions |= batch.versions
        if not predictions.rows:
            raise DataError(no_rows(request.captured, version, since, left_out))
        limits = request.thresholds
        features = tuple(compare(f.name, tallies[f.name], limits, categories_of(f)) for f in schema.features)
        prediction = compare("prediction", predictions, limits)
        return DriftReport(
            version.name, version.version, request.captured, since, made, predictions.rows, reference.rows,
            limits, features, prediction, tuple(sorted(versions)), dict(sorted(left_out.items())),
        )  # fmt: skip

    def _publish(self, report: DriftReport, request: DriftRequest) -> DriftReport:
        """Log the report to a tracked run, then write it (with the run's id) to ``request.out``."""
        with self._tracker.start_run(request.experiment, run_name=f"drift-{report.model}") as run:
            report = replace(report, run_id=run.run_id)
            document, page = json.dumps(report.as_dict(), indent=2).encode(), render_page(report).encode()
            run.set_tags({"predictor.kind": "drift", "predictor.model": report.model})
            run.set_tags({"predictor.version": report.version})
            run.log_metrics(drift_metrics(report))
            run.log_artifact(document, JSON_FILE)
            run.log_artifact(page, HTML_FILE)
        out = request.out.rstrip("/")
        self._artifacts.write(f"{out}/{JSON_FILE}", document)
        self._artifacts.write(f"{out}/{HTML_FILE}", page)
        return report


def reference_of(manifest: ModelManifest, version: ModelVersion) -> ReferenceProfile:
    """The manifest's reference profile; ``DataError`` (bad input) for a model trained without one."""
    if manifest.reference is None:
        raise DataError(
            f"version {version.version} of {version.name} has no reference profile (it was trained by an "
            "older predictor); retrain it to compare captured rows with its training data"
        )
    missing = [name for name in manifest.schema.names if name not in manifest.reference.features]
    if missing:
        raise DataError(f"the reference profile of {version.name} version {version.version} lacks {missing}")
    return manifest.reference


def no_rows(captured: str, version: ModelVersion, since: datetime | None, left_out: Counter[str]) -> str:
    """Why there is nothing to compare: no row at all, or rows of other versions only."""
    after = f" since {since.isoformat()}" if since is not None else ""
    if not left_out:
        return f"no captured rows under {captured}{after}"
    seen = ", ".join(f"{v} ({n:,} rows)" for v, n in sorted(left_out.items()))
    return (
        f"no captured rows of {version.name}/{version.version} under {captured}{after}; rows of {seen} only"
    )


def since_of(since: datetime | timedelta | None, made: datetime) -> datetime | None:
    """The moment ``since`` names: itself, or ``made`` less a duration (``DataError`` past year 1)."""
    if not isinstance(since, timedelta):
        return since
    try:
        return made - since
    except OverflowError:
        raise DataError(f"--since reaches back {since.days:,} days, before the year 1") from None


def drift_metrics(report: DriftReport) -> dict[str, float]:
    """What the run logs as metrics: the rows compared and each column's statistics."""
    metrics = {"rows_compared": float(report.rows), "flagged_features": float(len(report.flagged))}
    for column in (*report.features, report.prediction):
        name = re.sub(r"[^\w\-. /]", "_", column.name)  # the characters MLflow allows in a metric name
        statistics = {"psi": column.psi, "ks": column.ks, "share_change": column.share_change}
        metrics.update({f"{k}.{name}": v for k, v in statistics.items() if v is not None})
        metrics[f"missing_rate.{name}"] = column.missing[1]
    return metrics


def categories_of(feature: Feature) -> tuple[str, ...]:
    return feature.categories if feature.kind is FeatureKind.CATEGORICAL else ()
