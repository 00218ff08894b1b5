"""Lambda's defaults: refresh on request, JSON logs, the baked model served (or, with a registry
configured, kept as its fallback); whatever the environment sets wins."""

from __future__ import annotations

from pathlib import Path

from predictor.config import RefreshMode
from predictor.entrypoints.awslambda.service import baked_model_dir, lambda_defaults


def test_the_baked_model_is_served_and_refreshed_on_request_by_default(tmp_path: Path) -> None:
    defaults = lambda_defaults({"LAMBDA_TASK_ROOT": str(tmp_path)})
    assert defaults == {"refresh": RefreshMode.ON_REQUEST, "log_json": True, "model_dir": tmp_path / "model"}


def test_the_task_root_is_lambdas_when_unset() -> None:
    assert baked_model_dir({}) == Path("/var/task/model")


def test_with_a_registry_the_baked_model_is_the_fallback(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    environ = {"LAMBDA_TASK_ROOT": str(tmp_path), "PREDICTOR_MLFLOW_TRACKING_URI": "http://127.0.0.1:5000"}
    defaults = lambda_defaults(environ)
    assert "model_dir" not in defaults
    assert defaults["fallback_model_dir"] == tmp_path / "model"


def test_with_a_registry_and_nothing_baked_there_is_no_fallback(tmp_path: Path) -> None:
    environ = {"LAMBDA_TASK_ROOT": str(tmp_path), "MLFLOW_TRACKING_URI": "http://127.0.0.1:5000"}
    assert "fallback_model_dir" not in lambda_defaults(environ)


def test_what_the_environment_sets_wins(tmp_path: Path) -> None:
    environ = {
        "PREDICTOR_REFRESH": "background",
        "predictor_log_json": "false",  # settings are read case-insensitively
        "PREDICTOR_MODEL_DIR": str(tmp_path),
    }
    assert lambda_defaults(environ) == {}
