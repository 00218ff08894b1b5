"""Settings from the environment, a .env file and a secrets directory: PREDICTOR_<FIELD> by name
whatever the group, MLflow's own variable as a fallback, strings converted to each field's type,
profiles' defaults under every source, and one clear error naming the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings
from tools.docsite.hooks import on_page_markdown

from predictor.config import GROUPS, LogLevel, MetricsSinkKind, Profile, load_settings
from predictor.config.groups import ProfileSettings, SourceSettings
from predictor.domain.errors import ConfigurationError


@pytest.fixture(autouse=True)
def no_predictor_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("PREDICTOR_", "MLFLOW_")):
            monkeypatch.delenv(name)


def test_defaults_without_any_variable() -> None:
    settings = load_settings()
    assert (settings.profile, settings.http.port, settings.http.workers, settings.serving.model_dir) == (
        Profile.DEV,
        8000,
        1,
        None,
    )
    assert settings.tracking.mlflow_tracking_uri == "sqlite:///mlflow.db"


def test_variables_are_read_by_name_and_converted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_PORT", "9000")
    monkeypatch.setenv("PREDICTOR_PROFILE", "prod")
    monkeypatch.setenv("PREDICTOR_MODEL_DIR", "/srv/model")
    monkeypatch.setenv("PREDICTOR_DOCS_ENABLED", "false")
    monkeypatch.setenv("PREDICTOR_LOG_JSON", "1")
    monkeypatch.setenv("PREDICTOR_DECISION_THRESHOLD", "0.3")
    monkeypatch.setenv("PREDICTOR_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = load_settings()
    assert settings.http.port == 9000
    assert settings.profile is Profile.PROD
    assert settings.serving.model_dir == Path("/srv/model")
    assert settings.http.docs_enabled is False
    assert settings.logging.log_json is True
    assert settings.serving.decision_threshold == 0.3
    assert settings.http.cors_origins == ("https://a.example", "https://b.example")


@pytest.mark.parametrize("name", ["PREDICTOR_MODEL_DIR", "PREDICTOR_FALLBACK_MODEL_DIR"])
def test_an_empty_model_directory_is_none(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "")
    settings = load_settings()
    assert (settings.serving.model_dir, settings.serving.fallback_model_dir) == (None, None)
    assert settings.serving.model_source == "registry"


def test_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("predictor_workers", "3")
    assert load_settings().http.workers == 3


def test_mlflows_own_variable_is_the_fallback_for_the_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert load_settings().tracking.mlflow_tracking_uri == "http://127.0.0.1:5000"
    monkeypatch.setenv("PREDICTOR_MLFLOW_TRACKING_URI", "http://127.0.0.1:5001")
    assert load_settings().tracking.mlflow_tracking_uri == "http://127.0.0.1:5001"


def test_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_PORT", "9000")
    assert load_settings(port=9100).http.port == 9100


def test_an_override_that_is_not_a_setting_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not settings: prot"):
        load_settings(prot=9100)


def test_variables_that_are_not_settings_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_API_KEYS", "secret-ish-0123456789")
    monkeypatch.setenv("PREDICTOR_PORT", "1")
    settings = load_settings()
    assert settings.http.port == 1
    assert "secret-ish" not in settings.model_dump_json()


def test_choices_are_enums(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_METRICS_SINK", "none")
    monkeypatch.setenv("PREDICTOR_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.metrics.metrics_sink is MetricsSinkKind.NONE
    assert settings.logging.log_level is LogLevel.DEBUG


@pytest.mark.parametrize(("profile", "json"), [("dev", False), ("test", False), ("prod", True)])
def test_each_profile_has_its_defaults(profile: str, json: bool) -> None:
    assert load_settings(profile=profile).logging.log_json is json


def test_any_source_wins_over_the_profiles_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_PROFILE", "prod")
    monkeypatch.setenv("PREDICTOR_LOG_JSON", "false")
    assert load_settings().logging.log_json is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PREDICTOR_PORT", "eighty", "PREDICTOR_PORT: Input should be a valid integer"),
        ("PREDICTOR_WORKERS", "0", "PREDICTOR_WORKERS: Input should be greater than or equal to 1"),
        ("PREDICTOR_DOCS_ENABLED", "perhaps", "PREDICTOR_DOCS_ENABLED: Input should be a valid boolean"),
        ("PREDICTOR_PROFILE", "staging", "PREDICTOR_PROFILE: Input should be 'dev', 'test' or 'prod'"),
        (
            "PREDICTOR_METRICS_SINK",
            "statsd",
            "PREDICTOR_METRICS_SINK: Input should be 'emf', 'cloudwatch' or 'none'",
        ),
        ("PREDICTOR_LOG_LEVEL", "loud", "PREDICTOR_LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING' or"),
        ("PREDICTOR_TUNING_PARALLEL_TRIALS", "0", "PREDICTOR_TUNING_PARALLEL_TRIALS: Input should be"),
        ("PREDICTOR_SECRETS_DIR", "/nowhere", "PREDICTOR_SECRETS_DIR: Path does not point to a directory"),
        ("PREDICTOR_ENV_FILE", "/nowhere.env", "PREDICTOR_ENV_FILE: Path does not point to a file"),
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


def test_every_bad_value_is_named_in_the_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_PORT", "eighty")
    monkeypatch.setenv("PREDICTOR_MAX_ROWS", "lots")
    monkeypatch.setenv("PREDICTOR_PROFILE", "staging")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert all(name in str(raised.value) for name in ("PORT", "MAX_ROWS", "PROFILE"))


def test_a_dotenv_file_in_the_working_directory_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text("PREDICTOR_PORT=9001\nPREDICTOR_PROFILE=prod\nOTHER=1\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert (settings.http.port, settings.profile, settings.logging.log_json) == (9001, Profile.PROD, True)


def test_the_environment_wins_over_the_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "serving.env").write_text("PREDICTOR_PORT=9001\nPREDICTOR_WORKERS=2\n")
    monkeypatch.setenv("PREDICTOR_ENV_FILE", str(tmp_path / "serving.env"))
    monkeypatch.setenv("PREDICTOR_PORT", "9002")
    settings = load_settings()
    assert (settings.http.port, settings.http.workers) == (9002, 2)


def test_a_bad_value_in_the_dotenv_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PREDICTOR_MAX_ROWS=lots\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError, match="PREDICTOR_MAX_ROWS: Input should be a valid integer"):
        load_settings()


def test_the_secrets_directory_holds_one_file_per_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "predictor_mlflow_tracking_uri").write_text("postgresql://mlflow:hunter2@db/mlflow")
    (tmp_path / "PREDICTOR_PORT").write_text("9003\n")  # as Docker and Kubernetes mount them
    monkeypatch.setenv("PREDICTOR_SECRETS_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.tracking.mlflow_tracking_uri == "postgresql://mlflow:hunter2@db/mlflow"
    assert settings.http.port == 9003
    monkeypatch.setenv("PREDICTOR_PORT", "9004")
    assert load_settings().http.port == 9004


def test_every_setting_is_documented() -> None:
    # The page's table is rendered from the settings classes when the site is built (tools/docsite).
    page = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    documented = on_page_markdown(page)
    groups: list[type[BaseSettings]] = [*GROUPS.values(), ProfileSettings, SourceSettings]
    fields = [field for group in groups for field in group.model_fields]
    missing = [field for field in fields if f"`PREDICTOR_{field.upper()}`" not in documented]
    assert missing == []
