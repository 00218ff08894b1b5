"""`predictor predict --engine`: what each engine accepts, checked before any model loads, each
refusal one line and exit code 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from predictor.entrypoints.cli import cli


def predict(tmp_path: Path, *args: str) -> Result:
    (tmp_path / "model").mkdir(exist_ok=True)
    return CliRunner().invoke(cli, ["predict", "--quiet", "--model-dir", str(tmp_path / "model"), *args])


def only_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_the_dask_engine_without_the_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    (tmp_path / "data").mkdir()

    result = predict(
        tmp_path, "--engine", "dask", "--input", str(tmp_path / "data"), "--output", str(tmp_path / "out")
    )

    assert result.exit_code == 2
    assert only_line(result) == (
        "error: predictor predict --engine dask needs dask, distributed and pyarrow: "
        "install predictor[dask,train]"
    )


@pytest.mark.parametrize("source", ["data", "data/*.parquet"])
def test_a_directory_or_glob_needs_the_dask_engine(tmp_path: Path, source: str) -> None:
    (tmp_path / "data").mkdir()

    result = predict(tmp_path, "--input", str(tmp_path / source), "--output", str(tmp_path / "out.parquet"))

    assert result.exit_code == 2
    assert only_line(result).endswith(": a directory or glob needs --engine dask")


def test_a_scheduler_needs_the_dask_engine(tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("x\n1\n")

    result = predict(
        tmp_path, "--scheduler", "tcp://127.0.0.1:8786", "--input", str(tmp_path / "rows.csv"),
        "--output", str(tmp_path / "out.parquet"),
    )  # fmt: skip

    assert result.exit_code == 2
    assert only_line(result) == "error: field '--scheduler': is for --engine dask"


def test_an_output_directory_holding_an_earlier_runs_parts_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "part.00000.parquet").write_bytes(b"")

    result = predict(
        tmp_path, "--engine", "dask", "--input", str(tmp_path / "data"), "--output", str(tmp_path / "out")
    )

    assert result.exit_code == 2
    assert "holds 1 part files of an earlier run (part.00000.parquet, ...)" in only_line(result)
