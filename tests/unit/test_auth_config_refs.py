"""API keys, settings and model references."""

from __future__ import annotations

import pytest

from predictor.config import load_settings
from predictor.domain.errors import ConfigurationError, InvalidInput, Unauthorized
from predictor.domain.model import ModelRef
from predictor.services.serving.auth import ApiKeyring, key_id

KEY_A = "a" * 20
KEY_B = "b" * 20


def test_several_keys_are_active_at_once_for_rotation() -> None:
    keyring = ApiKeyring([KEY_A, KEY_B])
    assert keyring.check(KEY_A) == key_id(KEY_A)
    assert keyring.check(KEY_B) == key_id(KEY_B)


@pytest.mark.parametrize("presented", [None, "", "c" * 20, KEY_A + "x"])
def test_a_missing_or_unknown_key_is_unauthorized(presented: str | None) -> None:
    with pytest.raises(Unauthorized):
        ApiKeyring([KEY_A]).check(presented)


def test_short_keys_are_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="shorter than 16"):
        ApiKeyring(["short"])


def test_the_key_id_never_contains_the_key() -> None:
    assert KEY_A not in key_id(KEY_A)
    assert len(key_id(KEY_A)) == 12


def test_a_bad_setting_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_MAX_ROWS", "lots")
    with pytest.raises(ConfigurationError, match="PREDICTOR_MAX_ROWS"):
        load_settings()


def test_cors_wildcard_with_credentials_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_CORS_ORIGINS", "*")
    monkeypatch.setenv("PREDICTOR_CORS_ALLOW_CREDENTIALS", "true")
    with pytest.raises(ConfigurationError, match="cannot be combined"):
        load_settings()


def test_cors_origins_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDICTOR_CORS_ORIGINS", "https://a.example, https://b.example")
    assert load_settings().http.cors_origins == ("https://a.example", "https://b.example")


def test_the_tracking_uri_falls_back_to_mlflows_own_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREDICTOR_MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert load_settings().tracking.mlflow_tracking_uri == "http://127.0.0.1:5000"
    monkeypatch.setenv("PREDICTOR_MLFLOW_TRACKING_URI", "sqlite:///other.db")
    assert load_settings().tracking.mlflow_tracking_uri == "sqlite:///other.db"


def test_json_logs_follow_the_profile() -> None:
    assert load_settings(profile="prod").logging.log_json
    assert not load_settings(profile="dev").logging.log_json


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("demo@production", ModelRef("demo", alias="production")),
        ("models:/demo@staging", ModelRef("demo", alias="staging")),
        ("demo/3", ModelRef("demo", version="3")),
        ("models:/my.model-v2/12", ModelRef("my.model-v2", version="12")),
    ],
)
def test_model_references_parse(text: str, ref: ModelRef) -> None:
    assert ModelRef.parse(text) == ref
    assert ModelRef.parse(ref.uri) == ref


@pytest.mark.parametrize("text", ["", "demo", "demo@", "demo/x", "@prod", "models:/"])
def test_bad_model_references_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a model reference"):
        ModelRef.parse(text)
