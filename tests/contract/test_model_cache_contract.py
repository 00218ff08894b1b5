"""One ModelCache contract for the in-memory fake, the local-disk cache and the cache in front
of an exported directory, then what only the local cache promises: checksums, atomic
placement, and memory across restarts; and what only the exported one does: read in place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from predictor.adapters.files.cache import LocalModelCache
from predictor.adapters.files.exported import ExportedModelCache, ExportedModelCatalog
from predictor.adapters.memory import InMemoryModelCache
from predictor.domain.errors import ConfigurationError
from predictor.domain.exported import EXPORT_RECORD_FILE, ExportRecord
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.ports import ModelCache

VERSION = ModelVersion(
    name="demo",
    version="3",
    run_id="run-1",
    created_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    aliases=("production",),
    source="file:///artifacts/run-1/model",
    description="",
    tags={"team": "risk"},
    metrics={"test_roc_auc": 0.97},
)
FILES = {"manifest.json": b'{"format_version": 1}', "model.ubj": b"\x00booster\xff", "sub/extra.txt": b"x"}
PRODUCTION = ModelRef("demo", alias="production")


def write_model(directory: Path) -> Path:
    for name, content in FILES.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(content)
    return directory


def into_subdirectory(staging: Path) -> Path:
    """As the in-memory registry downloads: a directory inside the staging area."""
    return write_model(staging / "model")


def into_staging_itself(staging: Path) -> Path:
    """As some MLflow artifact stores download: the staging area is the model directory."""
    return write_model(staging)


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def exported(directory: Path, version: ModelVersion) -> ExportedModelCatalog:
    """``directory`` written as `predictor export` writes ``version``."""
    write_model(directory)
    record = ExportRecord(
        version, ModelRef(version.name, alias="production"), datetime(2025, 2, 1, tzinfo=UTC)
    )
    (directory / EXPORT_RECORD_FILE).write_bytes(record.to_json())
    return ExportedModelCatalog(directory)


@pytest.fixture(params=["memory", "local", "exported"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> ModelCache:
    if request.param == "memory":
        return InMemoryModelCache(tmp_path)
    if request.param == "exported":  # an export of another version: VERSION is not held in place
        (tmp_path / "export").mkdir()
        return ExportedModelCache(exported(tmp_path / "export", replace(VERSION, version="2")))
    return LocalModelCache(tmp_path / "cache")


def test_the_exported_version_is_read_in_place_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    catalog = exported(tmp_path / "export", VERSION)
    before = files_of(tmp_path)
    cache = ExportedModelCache(catalog)
    assert cache.get(VERSION) == tmp_path / "export"
    cache.remember(PRODUCTION, VERSION)
    assert cache.last_good(PRODUCTION) == (VERSION, tmp_path / "export")
    assert cache.get(replace(VERSION, version="4")) is None
    assert files_of(tmp_path) == before


def test_an_empty_cache_has_nothing(cache: ModelCache) -> None:
    assert cache.get(VERSION) is None
    assert cache.last_good(PRODUCTION) is None


@pytest.mark.parametrize("download", [into_subdirectory, into_staging_itself])
def test_a_put_directory_is_returned_by_get(cache: ModelCache, download: Callable[[Path], Path]) -> None:
    placed = cache.put(VERSION, download)
    assert files_of(placed) == FILES
    cached = cache.get(VERSION)
    assert cached is not None
    assert files_of(cached) == FILES


def test_putting_a_version_again_keeps_one_good_copy(cache: ModelCache) -> None:
    cache.put(VERSION, into_subdirectory)
    again = cache.put(VERSION, into_subdirectory)
    assert files_of(again) == FILES
    cached = cache.get(VERSION)
    assert cached is not None
    assert files_of(cached) == FILES


def test_a_failed_download_leaves_nothing_cached(cache: ModelCache) -> None:
    def broken(staging: Path) -> Path:
        write_model(staging / "model")
        raise ConnectionError("the registry went away")

    with pytest.raises(ConnectionError):
        cache.put(VERSION, broken)
    assert cache.get(VERSION) is None


def test_the_last_good_version_is_remembered_per_reference(cache: ModelCache) -> None:
    cache.put(VERSION, into_subdirectory)
    cache.remember(PRODUCTION, VERSION)
    by_version = ModelRef("demo", version="3")
    cache.remember(by_version, VERSION)

    for ref in (PRODUCTION, by_version):
        found = cache.last_good(ref)
        assert found is not None
        version, directory = found
        assert version == VERSION
        assert files_of(directory) == FILES
    assert cache.last_good(ModelRef("demo", alias="staging")) is None
    assert cache.last_good(ModelRef("other", alias="production")) is None


def test_remembering_a_newer_version_replaces_the_older(cache: ModelCache) -> None:
    newer = ModelVersion(name="demo", version="4")
    cache.put(VERSION, into_subdirectory)
    cache.put(newer, into_subdirectory)
    cache.remember(PRODUCTION, VERSION)
    cache.remember(PRODUCTION, newer)
    found = cache.last_good(PRODUCTION)
    assert found is not None
    assert found[0] == newer


def test_a_remembered_version_that_is_not_cached_is_no_fallback(cache: ModelCache) -> None:
    cache.remember(PRODUCTION, VERSION)
    assert cache.last_good(PRODUCTION) is None


# What only the local cache promises.


def test_a_corrupted_file_is_detected_removed_and_fetched_again(tmp_path: Path) -> None:
    cache = LocalModelCache(tmp_path)
    downloads = 0

    def counting(staging: Path) -> Path:
        nonlocal downloads
        downloads += 1
        return into_subdirectory(staging)

    placed = cache.put(VERSION, counting)
    (placed / "model.ubj").write_bytes(b"\x00bit rot\xff")
    assert cache.get(VERSION) is None
    assert not placed.exists()

    refetched = cache.put(VERSION, counting)
    assert downloads == 2
    assert files_of(refetched) == FILES
    assert cache.get(VERSION) == refetched


@pytest.mark.parametrize("damage", ["add", "remove"])
def test_an_added_or_missing_file_counts_as_corruption(tmp_path: Path, damage: str) -> None:
    cache = LocalModelCache(tmp_path)
    placed = cache.put(VERSION, into_subdirectory)
    if damage == "add":
        (placed / "stray.bin").write_bytes(b"?")
    else:
        (placed / "sub" / "extra.txt").unlink()
    assert cache.get(VERSION) is None


def test_the_last_good_version_survives_a_restart(tmp_path: Path) -> None:
    LocalModelCache(tmp_path).put(VERSION, into_subdirectory)
    LocalModelCache(tmp_path).remember(PRODUCTION, VERSION)

    found = LocalModelCache(tmp_path).last_good(PRODUCTION)
    assert found is not None
    assert found[0] == VERSION
    assert files_of(found[1]) == FILES


def test_an_unreadable_last_good_record_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = LocalModelCache(tmp_path)
    cache.put(VERSION, into_subdirectory)
    cache.remember(PRODUCTION, VERSION)
    (record,) = (tmp_path / "demo" / "last-good").glob("*.json")
    record.write_text('{"name": "demo", "vers')
    with caplog.at_level(logging.WARNING, logger="predictor.adapters.files.cache"):
        assert cache.last_good(PRODUCTION) is None
    assert "last-good" in caplog.text


def test_concurrent_puts_of_one_version_leave_one_intact_copy(tmp_path: Path) -> None:
    cache = LocalModelCache(tmp_path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        placed = list(pool.map(lambda _: cache.put(VERSION, into_subdirectory), range(8)))
    assert {str(p) for p in placed} == {str(tmp_path / "demo" / "3" / "model")}
    assert files_of(placed[0]) == FILES
    assert cache.get(VERSION) == placed[0]
    assert not list(tmp_path.glob(".staging-*"))  # nothing left behind


def test_a_download_outside_the_staging_area_is_refused(tmp_path: Path) -> None:
    elsewhere = write_model(tmp_path / "elsewhere")
    cache = LocalModelCache(tmp_path / "cache")
    with pytest.raises(ConfigurationError, match="staging area"):
        cache.put(VERSION, lambda _staging: elsewhere)
    assert files_of(elsewhere) == FILES  # not moved away from its owner
    assert cache.get(VERSION) is None
