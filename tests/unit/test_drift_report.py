"""ReportDrift on the in-memory adapters: a model trained on the synthetic table, captured rows
encoded with its own encoder, and the report flags exactly the shifted features."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from predictor.adapters.files.manifests import read_manifest
from predictor.adapters.memory import (
    InMemoryCaptureSource,
    InMemoryExperimentTracker,
    synthetic_table,
)
from predictor.container import Container
from predictor.container.drift import report_drift
from predictor.domain.capture import CapturedRows
from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.errors import DataError
from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelRef
from predictor.domain.table import Table
from predictor.services.drift.report import DriftRequest, reference_of
from predictor.services.training.reference import predicted_labels
from tests.unit.builders import memory_container, train_demo

REF = ModelRef.parse("demo@production")
CAPTURED = "memory://captures"
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def model_files(container: Container, directory: Path) -> Path:
    version = container.catalog().resolve(REF)
    files: Path = container.catalog().download(version, directory)
    return files


def captured(
    container: Container, table: Table, directory: Path, stamp: datetime = NOW, version: str = "1"
) -> CapturedRows:
    """``table``'s rows as capture writes them: encoded by the model's encoder, with its labels."""
    files = model_files(container, directory)
    manifest = read_manifest(files)
    names = manifest.schema.names
    rows = [{n: table.columns[n][i] for n in names} for i in range(table.rows)]
    matrix = RowEncoder(manifest.schema).encode(rows).matrix
    labels = predicted_labels(
        manifest.schema.target, container.adapters.runtime().load(files).predict(matrix)
    )
    count = table.rows
    return CapturedRows(
        names, matrix.astype(np.float64), tuple(labels.tolist()), ("demo",) * count, (version,) * count,
        tuple(f"r{i}" for i in range(count)), np.full(count, np.datetime64(stamp.replace(tzinfo=None), "us")),
    )  # fmt: skip


def shifted(table: Table, column: str, by: float) -> Table:
    values = [None if v is None else v + by for v in table.columns[column]]
    return replace(table, columns={**table.columns, column: values})


@pytest.fixture
def trained(tmp_path: Path) -> Container:
    container = memory_container()
    container.adapters.datasets().tables["synthetic"] = synthetic_table(rows=2000)
    train_demo(container)
    return container


def capture(container: Container, *files: CapturedRows) -> None:
    source = container.adapters.captures()
    assert isinstance(source, InMemoryCaptureSource)
    source.files[CAPTURED] = list(files)


def test_rows_from_the_training_distribution_do_not_drift(trained: Container, tmp_path: Path) -> None:
    capture(trained, captured(trained, synthetic_table(rows=1500, seed=7), tmp_path / "m"))
    report = report_drift(trained)(DriftRequest(REF, CAPTURED, str(tmp_path / "out")))
    assert report.rows == 1500
    assert report.flagged == ()
    assert not report.drifted


def test_a_shifted_feature_is_flagged_alone_and_the_report_is_written_and_tracked(
    trained: Container, tmp_path: Path
) -> None:
    table = shifted(synthetic_table(rows=1500, seed=7), "x2", 1.5)
    capture(trained, captured(trained, table, tmp_path / "m"))
    report = report_drift(trained)(DriftRequest(REF, CAPTURED, str(tmp_path / "out")))
    assert report.flagged == ("x2",)
    assert report.drifted
    written = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert written["flagged_features"] == ["x2"]
    assert written["features"]["x2"]["flags"]
    assert (tmp_path / "out" / "drift.html").read_text().startswith("<!DOCTYPE html>")
    tracker = trained.adapters.tracker()
    assert isinstance(tracker, InMemoryExperimentTracker)
    run = tracker.runs[-1]
    assert set(run.files) == {"drift.json", "drift.html"}
    assert run.metrics["psi.x2"] > 0.2
    assert written["run_id"] == run.run_id


def test_since_keeps_the_newer_rows(trained: Container, tmp_path: Path) -> None:
    old = captured(
        trained,
        shifted(synthetic_table(rows=800, seed=3), "x1", 3.0),
        tmp_path / "a",
        NOW - timedelta(days=2),
    )
    new = captured(trained, synthetic_table(rows=800, seed=4), tmp_path / "b", NOW)
    capture(trained, old, new)
    everything = report_drift(trained)(DriftRequest(REF, CAPTURED, str(tmp_path / "all")))
    assert everything.flagged == ("x1",)
    recent = report_drift(trained)(
        DriftRequest(REF, CAPTURED, str(tmp_path / "day"), since=NOW - timedelta(hours=24))
    )
    assert recent.rows == 800
    assert recent.flagged == ()


def test_no_row_since_is_bad_input(trained: Container, tmp_path: Path) -> None:
    capture(trained, captured(trained, synthetic_table(rows=50), tmp_path / "m", NOW - timedelta(days=9)))
    request = DriftRequest(REF, CAPTURED, str(tmp_path / "out"), since=NOW - timedelta(days=1))
    with pytest.raises(DataError, match="no captured rows under memory://captures since"):
        report_drift(trained)(request)
    assert not (tmp_path / "out").exists()


def test_a_model_without_a_reference_profile_asks_to_retrain(trained: Container, tmp_path: Path) -> None:
    version = trained.catalog().resolve(REF)
    manifest: ModelManifest = replace(read_manifest(model_files(trained, tmp_path)), reference=None)
    with pytest.raises(DataError, match=r"has no reference profile .*; retrain it"):
        reference_of(manifest, version)


def test_rows_of_another_version_are_left_out_and_said(trained: Container, tmp_path: Path) -> None:
    other = captured(
        trained, shifted(synthetic_table(rows=700, seed=5), "x1", 3.0), tmp_path / "a", version="2"
    )
    ours = captured(trained, synthetic_table(rows=800, seed=4), tmp_path / "b")
    capture(trained, other, ours)
    report = report_drift(trained)(DriftRequest(REF, CAPTURED, str(tmp_path / "out")))
    assert (report.rows, report.flagged, report.versions) == (800, (), ("1",))
    written = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert written["rows_of_other_versions_left_out"] == {"demo/2": 700}
    assert "700 of demo/2" in (tmp_path / "out" / "drift.html").read_text()


def test_rows_of_other_versions_only_is_bad_input_naming_them(trained: Container, tmp_path: Path) -> None:
    capture(trained, captured(trained, synthetic_table(rows=60), tmp_path / "m", version="7"))
    request = DriftRequest(REF, CAPTURED, str(tmp_path / "out"))
    with pytest.raises(
        DataError, match=r"no captured rows of demo/1 under .*; rows of demo/7 \(60 rows\) only"
    ):
        report_drift(trained)(request)


def test_a_since_before_the_year_1_is_bad_input(trained: Container, tmp_path: Path) -> None:
    capture(trained, captured(trained, synthetic_table(rows=60), tmp_path / "m"))
    request = DriftRequest(REF, CAPTURED, str(tmp_path / "out"), since=timedelta(days=999_999_999))
    with pytest.raises(DataError, match="--since reaches back 999,999,999 days"):
        report_drift(trained)(request)
