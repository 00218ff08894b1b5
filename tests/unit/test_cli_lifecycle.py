"""The lifecycle commands' surface: help with examples, usage errors, and the tracking-server
command line each profile builds (without starting it)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from predictor.entrypoints.cli import cli

ALL_INTERFACES = "0.0.0.0"  # noqa: S104  # printed in a command line, never bound
COMMANDS = [["models", "list"], ["models", "show"], ["promote"], ["rollback"], ["export"], ["mlflow-server"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_lifecycle_command_has_help_with_examples(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: predictor" in result.output
    assert "Examples:" in result.output


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--server", "http://127.0.0.1:9"], "--server"),
        (["--min-agreement", "0.5"], "--min-agreement"),
        (["--admin-key", "an-admin-key-of-16-chars"], "--admin-key"),
        (["--served-name", "other"], "--served-name"),
    ],
)
def test_gate_options_without_the_gate_are_refused(extra: list[str], named: str) -> None:
    result = CliRunner().invoke(cli, ["promote", "demo", "--version", "2", "--to", "production", *extra])
    assert result.exit_code == 2
    assert f"{named} only apply with --if-shadow-agrees" in result.output


def test_serve_documents_the_model_dir() -> None:
    assert "--model-dir" in CliRunner().invoke(cli, ["serve", "--help"]).output


@pytest.mark.parametrize(
    "args",
    [["demo", "--version", "2"], ["demo", "--version", "2", "--to", "production", "--stage", "Production"]],
    ids=["neither", "both"],
)
def test_promote_needs_exactly_one_of_to_and_stage(args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["promote", *args])
    assert result.exit_code == 2
    assert "exactly one of --to ALIAS or --stage STAGE" in result.output


def test_a_stage_other_than_staging_or_production_is_refused() -> None:
    result = CliRunner().invoke(cli, ["promote", "demo", "--version", "2", "--stage", "Archived"])
    assert result.exit_code == 2
    assert "Archived" in result.output


def test_the_dev_tracking_server_keeps_sqlite_and_artifacts_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PREDICTOR_PROFILE", raising=False)
    result = CliRunner().invoke(cli, ["mlflow-server", "--port", "5050", "--print-command"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{tmp_path / 'mlflow.db'}",
        "--serve-artifacts",
        "--artifacts-destination",
        str(tmp_path / "mlartifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        "5050",
    ]


def test_the_prod_tracking_server_uses_the_configured_stores_and_hides_passwords(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREDICTOR_PROFILE", "prod")
    monkeypatch.setenv("PREDICTOR_MLFLOW_BACKEND_STORE_URI", "postgresql://mlflow:s3cret@db:5432/mlflow")
    monkeypatch.setenv("PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION", "s3://bucket/mlflow")
    result = CliRunner().invoke(
        cli, ["mlflow-server", "--host", ALL_INTERFACES, "--workers", "4", "--print-command"]
    )
    assert result.exit_code == 0, result.output
    assert "--backend-store-uri postgresql://mlflow:***@db:5432/mlflow" in result.output
    assert "--artifacts-destination s3://bucket/mlflow" in result.output
    assert "--host 0.0.0.0 --port 5000 --workers 4" in result.output
    assert "s3cret" not in result.output


def test_the_prod_tracking_server_refuses_to_start_without_its_stores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREDICTOR_PROFILE", "prod")
    monkeypatch.delenv("PREDICTOR_MLFLOW_BACKEND_STORE_URI", raising=False)
    monkeypatch.delenv("PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION", raising=False)
    result = CliRunner().invoke(cli, ["mlflow-server"])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert "PREDICTOR_MLFLOW_BACKEND_STORE_URI and PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION" in line


def test_serving_a_directory_that_is_not_an_export_is_one_line_and_exit_5(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--model-dir", str(tmp_path)])
    assert result.exit_code == 5
    (line,) = result.output.strip().splitlines()
    assert "not a directory written by `predictor export`" in line


def test_serving_a_list_checks_its_default_export_and_refuses_model_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREDICTOR_MODELS", f"wine={tmp_path},demo=demo@production")
    monkeypatch.setenv("PREDICTOR_MODEL_DIR", str(tmp_path / "ignored"))  # an image's default
    listed = CliRunner().invoke(cli, ["serve"])
    assert listed.exit_code == 5  # the default listed model's directory is checked, not the ignored one
    assert "not a directory written by `predictor export`" in listed.output
    assert "ignored" not in listed.output
    refused = CliRunner().invoke(cli, ["serve", "--model-dir", str(tmp_path)])
    assert refused.exit_code == 2
    assert "list the directory there" in refused.output
