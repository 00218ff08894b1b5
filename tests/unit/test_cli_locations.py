"""The CLI's file-or-URI parameter: s3:// URIs pass as written, paths are checked as click does."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from predictor.entrypoints.cli.locations import FileOrUri, file_name


@click.command()
@click.option("--input", "source", type=FileOrUri(exists=True, dir_okay=False), required=True)
def show(source: Path | str) -> None:
    click.echo(f"{type(source).__name__} {source}")


@pytest.mark.parametrize(
    ("given", "shown"),
    [("s3://bucket/rows.csv", "str s3://bucket/rows.csv"), ("s3://bucket/a/b/c.parquet", "str s3://")],
)
def test_an_s3_uri_goes_through_as_written(given: str, shown: str) -> None:
    result = CliRunner().invoke(show, ["--input", given])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(shown)


def test_a_local_path_is_checked_and_a_bucketless_uri_refused(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("x\n1\n")
    assert CliRunner().invoke(show, ["--input", str(tmp_path / "rows.csv")]).output.startswith("PosixPath ")
    missing = CliRunner().invoke(show, ["--input", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    bucketless = CliRunner().invoke(show, ["--input", "s3:///rows.csv"])
    assert bucketless.exit_code == 2
    assert "names no bucket; use s3://BUCKET/KEY" in bucketless.output


def test_a_file_is_named_by_its_last_part() -> None:
    assert file_name("s3://bucket/in/rows.csv") == "rows.csv"
    assert file_name(Path("/data/rows.parquet")) == "rows.parquet"
