"""One ArtifactStore contract, run against the in-memory fake, local files (by path and by
``file://`` URI), S3 on moto and the store that dispatches on the scheme (to local files and
to S3); then what only local files promise: a directory appears by one rename."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from predictor.adapters.aws.s3 import S3ArtifactStore
from predictor.adapters.files.artifacts import LocalArtifactStore, local_path
from predictor.adapters.files.schemes import ArtifactStoresByScheme
from predictor.adapters.memory import InMemoryArtifactStore
from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import ArtifactStore
from tests.aws import BUCKET, in_process_s3

Where = Callable[[str], str]  # a name -> the URI the store is given for it
KINDS = ["memory", "local-path", "local-uri", "s3", "by-scheme-local", "by-scheme-s3"]


def by_scheme() -> ArtifactStoresByScheme:
    return ArtifactStoresByScheme({"file": LocalArtifactStore, "s3": S3ArtifactStore})


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArtifactStore]:
    kind = str(request.param)
    if kind == "memory":
        yield InMemoryArtifactStore()
    elif kind.startswith("local"):
        yield LocalArtifactStore()
    elif kind == "by-scheme-local":
        yield by_scheme()
    else:
        with in_process_s3(monkeypatch, BUCKET):
            yield S3ArtifactStore() if kind == "s3" else by_scheme()


@pytest.fixture
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Where:
    kind = request.node.callspec.params["store"]
    if kind == "local-uri":
        return lambda name: (tmp_path / name).as_uri()
    if kind.endswith("s3"):
        return lambda name: f"s3://{BUCKET}/runs/{name}"
    return lambda name: str(tmp_path / name)


def fill(directory: Path) -> None:
    (directory / "sub").mkdir()
    (directory / "model.ubj").write_bytes(b"\x00booster\xff")
    (directory / "sub" / "extra.txt").write_bytes(b"x")


def test_a_written_file_reads_back_and_is_replaced_whole(store: ArtifactStore, where: Where) -> None:
    store.write(where("a/b/record.json"), b"first")
    assert store.read(where("a/b/record.json")) == b"first"
    store.write(where("a/b/record.json"), b"second")
    assert store.read(where("a/b/record.json")) == b"second"
    assert store.list(where("a")) == ["b/record.json"]


def test_nothing_stored_is_a_clear_error_and_an_empty_listing(store: ArtifactStore, where: Where) -> None:
    with pytest.raises(ConfigurationError, match="nothing is stored at"):
        store.read(where("missing.json"))
    assert store.list(where("missing")) == []


def test_a_file_is_not_a_directory(store: ArtifactStore, where: Where) -> None:
    store.write(where("record.json"), b"{}")
    with pytest.raises(ConfigurationError, match="is a file, not a directory"):
        store.list(where("record.json"))


def test_a_published_directory_holds_the_blocks_files_and_the_given_ones(
    store: ArtifactStore, where: Where
) -> None:
    with store.publish(where("export"), {"version.json": b"{}"}) as staging:
        fill(staging)
    assert store.list(where("export")) == ["model.ubj", "sub/extra.txt", "version.json"]
    assert store.read(where("export/sub/extra.txt")) == b"x"
    assert store.read(where("export/version.json")) == b"{}"
    assert not staging.exists()


def test_a_published_directory_downloads_as_it_was_filled(
    store: ArtifactStore, where: Where, tmp_path: Path
) -> None:
    with store.publish(where("export"), {"version.json": b"{}"}) as staging:
        fill(staging)
    copy = store.download(where("export"), tmp_path / "copy")
    assert copy == tmp_path / "copy"
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()) == [
        "model.ubj",
        "sub/extra.txt",
        "version.json",
    ]
    assert (copy / "model.ubj").read_bytes() == b"\x00booster\xff"
    with pytest.raises(ConfigurationError, match="nothing is stored at"):
        store.download(where("missing"), tmp_path / "nothing")


def test_a_block_that_raises_publishes_nothing(store: ArtifactStore, where: Where) -> None:
    stagings: list[Path] = []

    def failing_export() -> None:
        with store.publish(where("export"), {"version.json": b"{}"}) as staging:
            stagings.append(staging)
            fill(staging)
            raise RuntimeError("the check failed")

    with pytest.raises(RuntimeError):
        failing_export()
    assert store.list(where("export")) == []
    assert not stagings[0].exists()


def test_publishing_where_files_are_is_refused(store: ArtifactStore, where: Where) -> None:
    store.write(where("export/keep.txt"), b"mine")
    with pytest.raises(ConfigurationError), store.publish(where("export")) as staging:
        fill(staging)
    assert store.list(where("export")) == ["keep.txt"]


# What only local files promise.


def test_a_local_directory_appears_by_one_rename_leaving_no_staging(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with LocalArtifactStore().publish(str(tmp_path / "empty")) as staging:
        assert staging.parent == tmp_path  # beside the target: the same file system
        fill(staging)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]
    assert (tmp_path / "empty" / "model.ubj").read_bytes() == b"\x00booster\xff"


def test_local_files_take_paths_and_file_uris_only(tmp_path: Path) -> None:
    assert local_path((tmp_path / "a b").as_uri()) == tmp_path / "a b"
    assert local_path("relative/dir") == Path("relative/dir")
    with pytest.raises(ConfigurationError, match="not s3://"):
        LocalArtifactStore().read("s3://bucket/key")
    with pytest.raises(ConfigurationError, match="another host"):
        local_path("file://elsewhere/tmp/x")


def test_a_directory_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    with (
        pytest.raises(ConfigurationError, match="cannot write under"),
        LocalArtifactStore().publish(str(tmp_path / "a-file" / "export")),
    ):
        pass
