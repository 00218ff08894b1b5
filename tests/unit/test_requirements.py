"""tools/requirements.py: each install's locked requirements, with xgboost-cpu for xgboost."""

from __future__ import annotations

import pytest
from tools.requirements import INSTALLS, main, pins


def names(install: str) -> set[str]:
    return {line.split("==")[0] for line in pins(install)}


@pytest.mark.parametrize("install", sorted(INSTALLS))
def test_every_install_serves_with_xgboost_cpu_and_no_nccl(install: str) -> None:
    found = names(install)
    assert "xgboost-cpu" in found
    assert not {name for name in found if name == "xgboost" or name.startswith("nvidia-")}
    assert "predictor" not in found  # installed beside the file, --no-deps


def test_the_versions_are_the_locked_ones() -> None:
    api = pins("api")
    assert any(line.startswith("xgboost-cpu==3.") for line in api)
    assert all("==" in line for line in api)


def test_the_api_install_has_no_registry_or_training_stack_and_its_registry_variant_has_mlflow() -> None:
    assert not names("api") & {"mlflow", "pandas", "scikit-learn", "scipy", "optuna", "boto3"}
    assert {"uvloop", "httptools"} <= names("api")
    assert "mlflow" in names("api-registry")


def test_the_lambda_install_runs_no_server() -> None:
    assert not names("lambda") & {"uvloop", "httptools", "scipy", "mlflow", "pandas"}
    assert {"mangum", "boto3"} <= names("lambda")


def test_the_command_writes_the_file_the_images_install(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mlflow"]) == 0
    assert capsys.readouterr().out.splitlines() == pins("mlflow")
