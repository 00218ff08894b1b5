"""The CLI: help with examples on every command, one clear line and an exit code per error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from predictor.domain.errors import (
    ConfigurationError,
    DataError,
    Forbidden,
    InvalidModel,
    ModelNotFound,
    ModelRefused,
    ModelUnavailable,
    NoEarlierVersion,
    Unauthorized,
)
from predictor.entrypoints.cli import cli, exit_code_for


@pytest.mark.parametrize("command", ["train", "serve", "demo"])
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage: predictor" in result.output


@pytest.mark.parametrize("command", ["train", "serve"])
def test_help_shows_examples(command: str) -> None:
    assert "Examples:" in CliRunner().invoke(cli, [command, "--help"]).output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DataError("x"), 2),
        (ConfigurationError("x"), 2),
        (ModelNotFound("x"), 3),
        (ModelUnavailable("x"), 4),
        (InvalidModel("x"), 5),
        (ModelRefused("x"), 5),
        (NoEarlierVersion("x"), 6),
        (Unauthorized("x"), 7),
        (Forbidden("x"), 7),
    ],
)
def test_domain_errors_map_to_exit_codes(error: Exception, code: int) -> None:
    assert exit_code_for(error) == code  # type: ignore[arg-type]


def test_an_unknown_data_set_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREDICTOR_MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    result = CliRunner().invoke(cli, ["train", "--dataset", "nope"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: unknown data set 'nope'; bundled data sets: breast-cancer, diabetes, wine"
    ]
    assert "Traceback" not in result.output


def test_a_bad_setting_is_one_line_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_PORT", "99999")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "PREDICTOR_PORT" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_promote_without_register_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["train", "--dataset", "wine", "--promote", "production"])
    assert result.exit_code == 2
    assert "--promote needs --register" in result.output
