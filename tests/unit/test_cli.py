"""The CLI: help with examples on every command, one clear line and an exit code per error,
and commands imported only when used."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
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
from predictor.entrypoints import cli as cli_package
from predictor.entrypoints.cli import cli, exit_code_for
from predictor.entrypoints.cli.base import COMMAND_MODULES


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


def test_zero_cv_folds_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["train", "--dataset", "wine", "--trials", "2", "--cv-folds", "0"])
    assert result.exit_code == 2
    assert "--cv-folds" in result.output


def test_the_lazy_command_table_names_every_command_where_it_is_defined() -> None:
    for module in pkgutil.iter_modules(cli_package.__path__):
        importlib.import_module(f"{cli_package.__name__}.{module.name}")
    defined = {name: command.callback.__module__.rsplit(".", 1)[-1] for name, command in cli.commands.items()}
    assert defined == COMMAND_MODULES


def test_starting_a_command_imports_only_that_commands_module() -> None:
    probe = (
        "import sys; from predictor.entrypoints.cli import cli; "
        "cli(['serve', '--help'], standalone_mode=False); "
        "print(sorted(m for m in sys.modules if m.startswith('predictor.')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = done.stdout.strip().splitlines()[-1]
    assert "predictor.entrypoints.cli.serve" in loaded
    for other in ("train", "demo", "predict", "promote", "models", "export", "mlflow_server"):
        assert f"predictor.entrypoints.cli.{other}'" not in loaded
    assert "predictor.services.training.pipeline" not in loaded
