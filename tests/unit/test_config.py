"""Settings from the environment: PREDICTOR_<FIELD> by name, MLflow's own variable as a
fallback, strings converted to each field's type, and one clear error naming the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from predictor.config import Profile, environment_values, load_settings
from predictor.domain.errors import ConfigurationError


@pytest.fixture(autouse=True)
def no_predictor_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("PREDICTOR_", "MLFLOW_")):
            monkeypatch.delenv(name)


def test_defaults_without_any_variable() -> None:
    settings = load_settings()
    assert (settings.profile, settings.port, settings.workers, settings.model_dir) == (
        Profile.DEV,
        8000,
        1,
        None,
    )
    assert settings.mlflow_tracking_uri == "sqlite:///mlflow.db"


def test_variables_are_read_by_name_and_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_PORT", "9000")
    monkeypatch.setenv("PREDICTOR_PROFILE", "prod")
    monkeypatch.setenv("PREDICTOR_MODEL_DIR", "/srv/model")
    monkeypatch.setenv("PREDICTOR_DOCS_ENABLED", "false")
    monkeypatch.setenv("PREDICTOR_LOG_JSON", "1")
    monkeypatch.setenv("PREDICTOR_DECISION_THRESHOLD", "0.3")
    monkeypatch.setenv("PREDICTOR_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = load_settings()
    assert settings.port == 9000
    assert settings.profile is Profile.PROD
    assert settings.model_dir == Path("/srv/model")
    assert settings.docs_enabled is False
    assert settings.log_json is True
    assert settings.decision_threshold == 0.3
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("predictor_workers", "3")
    assert load_settings().workers == 3


def test_mlflows_own_variable_is_the_fallback_for_the_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert load_settings().mlflow_tracking_uri == "http://127.0.0.1:5000"
    monkeypatch.setenv("PREDICTOR_MLFLOW_TRACKING_URI", "http://127.0.0.1:5001")
    assert load_settings().mlflow_tracking_uri == "http://127.0.0.1:5001"


def test_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_PORT", "9000")
    assert load_settings(port=9100).port == 9100


def test_variables_that_are_not_settings_are_ignored() -> None:
    values = environment_values({"PREDICTOR_API_KEYS": "secret-ish", "PREDICTOR_PORT": "1", "HOME": "/root"})
    assert values == {"port": "1"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PREDICTOR_PORT", "eighty", "PREDICTOR_PORT: Input should be a valid integer"),
        ("PREDICTOR_WORKERS", "0", "PREDICTOR_WORKERS: Input should be greater than or equal to 1"),
        ("PREDICTOR_DOCS_ENABLED", "perhaps", "PREDICTOR_DOCS_ENABLED: Input should be a valid boolean"),
        ("PREDICTOR_PROFILE", "staging", "PREDICTOR_PROFILE: Input should be 'dev', 'test' or 'prod'"),
        ("PREDICTOR_METRICS_SINK", "statsd", "PREDICTOR_METRICS_SINK: String should match pattern"),
    ],
)
def test_a_bad_value_is_one_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match="invalid settings: " + message.replace("(", r"\(")):
        load_settings()


def test_wildcard_cors_with_credentials_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_CORS_ORIGINS", "*")
    monkeypatch.setenv("PREDICTOR_CORS_ALLOW_CREDENTIALS", "true")
    with pytest.raises(ConfigurationError, match="cannot be combined"):
        load_settings()
