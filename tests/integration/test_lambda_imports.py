"""Importing the Lambda handler (its init: settings, container, app, the baked model loaded)
imports no training stack, no training code of ours and, with the default settings, no boto3,
as tests/integration/test_serving_install.py proves for ``predictor serve``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import clean_env, export_breast_cancer

pytestmark = pytest.mark.integration

NOT_ON_THE_LAMBDA_PATH = (
    "mlflow",
    "optuna",
    "pandas",
    "sklearn",
    "pyarrow",
    "matplotlib",
    "scipy",
    "xgboost",  # libxgboost is called directly
    "boto3",  # only once Secrets Manager, CloudWatch or S3 is configured
    "botocore",
    "predictor.services.training",
    "predictor.adapters.xgboost.trainer",
    "predictor.adapters.optuna",
    "predictor.adapters.mlflow",
    "predictor.adapters.memory",
)
TOPS = {name for name in NOT_ON_THE_LAMBDA_PATH if "." not in name}
OURS = tuple(name for name in NOT_ON_THE_LAMBDA_PATH if "." in name)
KEY = "imports-key-0123456789"
IMPORTED = """
import json, sys
from predictor.entrypoints import lambda_handler

assert lambda_handler.service.container.slot().ready, "the model was not loaded at init"
print(json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_breast_cancer(tmp_path_factory.mktemp("lambda-imports"), seed=6)


def test_the_handlers_init_imports_nothing_of_training(exported: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTED],
        env={
            **clean_env(),
            "PREDICTOR_MODEL_DIR": str(exported),
            "PREDICTOR_API_KEYS": "imports-key-0123456789",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout.strip().splitlines()[-1]))
    imported = sorted(
        name
        for name in modules
        for banned in NOT_ON_THE_LAMBDA_PATH
        if name == banned or name.startswith(banned + ".")
    )
    assert imported == []
    assert "mangum" in modules
