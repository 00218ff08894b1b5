"""PREDICTOR_MODELS and PREDICTOR_MODELS_FILE: the models to serve, each error one line naming
the entry at fault; unset, the one model of PREDICTOR_MODEL_NAME@PREDICTOR_MODEL_ALIAS."""

from __future__ import annotations

from pathlib import Path

import pytest

from predictor.config import load_settings
from predictor.domain.errors import ConfigurationError
from predictor.domain.model import ModelRef
from predictor.domain.served import ServedModelSpec, ShadowSpec


def test_the_compact_form_lists_each_model_the_first_the_default() -> None:
    settings = load_settings(models="demo=demo@production;reload_interval_s=10, wine=./build/wine,old=demo/3")
    assert settings.serving.specs() == (
        ServedModelSpec("demo", ModelRef("demo", alias="production"), 10.0),
        ServedModelSpec("wine", Path("build/wine"), 30.0),
        ServedModelSpec("old", ModelRef("demo", version="3"), 30.0),
    )
    assert settings.serving.model_source == "registry"
    assert settings.serving.specs()[1].ttl_s == 0.0  # an exported directory has no alias to follow


def test_the_file_names_the_default_and_each_interval(tmp_path: Path) -> None:
    listed = tmp_path / "models.yaml"
    listed.write_text(
        "default: wine\n"
        "models:\n"
        "  - name: demo\n    model: demo@production\n    reload_interval_s: 5\n"
        "  - name: wine\n    model: ./build/wine\n"
    )
    settings = load_settings(models_file=listed, reload_interval_s=12)
    assert [spec.name for spec in settings.serving.specs()] == ["wine", "demo"]
    assert settings.serving.specs()[1].reload_interval_s == 5.0
    assert settings.serving.default_model_dir == Path("build/wine")
    assert settings.serving.model_source == "exported"  # the default model's
    assert settings.serving.registry_source == "registry"  # demo follows the registry


def test_a_json_file_is_read_too(tmp_path: Path) -> None:
    listed = tmp_path / "models.json"
    listed.write_text('{"models": [{"name": "demo", "model": "demo@staging"}]}')
    assert load_settings(models_file=listed).serving.specs()[0].source == ModelRef("demo", alias="staging")


def test_each_listed_model_may_name_its_shadow(tmp_path: Path) -> None:
    compact = load_settings(
        models="demo=demo@production;shadow=demo@challenger;shadow_sample_percent=5,wine=./build/wine",
    )
    assert [spec.shadow for spec in compact.serving.specs()] == [ShadowSpec("demo@challenger", 5.0), None]
    listed = tmp_path / "models.yaml"
    listed.write_text(
        "models:\n"
        "  - name: demo\n    model: demo@production\n"
        "  - name: wine\n    model: wine@production\n    shadow: ./build/wine-next\n"
    )
    settings = load_settings(models_file=listed, shadow_sample_percent=20)
    # No share given: PREDICTOR_SHADOW_SAMPLE_PERCENT's.
    assert settings.serving.specs(settings.shadow.shadow_sample_percent)[1].shadow == ShadowSpec(
        "./build/wine-next", 20.0
    )


def test_unset_one_model_is_served_as_before() -> None:
    settings = load_settings(model_name="wine", model_alias="staging")
    assert settings.serving.specs() == ()
    assert settings.serving.served_models is None
    assert settings.serving.model_uri == "models:/wine@staging"


@pytest.mark.parametrize(
    ("models", "message"),
    [
        ("demo", "PREDICTOR_MODELS: entry 1 ('demo') is not NAME=SOURCE"),
        ("demo=demo@production,wine", "PREDICTOR_MODELS: entry 2 ('wine') is not NAME=SOURCE"),
        ("demo=demo@production,demo=demo/2", "given more than once: demo"),
        ("demo=", "PREDICTOR_MODELS: entry 1 ('demo'): model:"),
        ("demo=demo@p;reload_interval_s=-1", "entry 1 ('demo'): reload_interval_s: Input should be greater"),
        ("demo=demo@p;every=3", "entry 1 ('demo'): 'every=3' is not one of reload_interval_s, shadow"),
        (
            "demo=demo@p;shadow_sample_percent=5",
            "entry 1 ('demo'): entry: shadow_sample_percent is given without",
        ),
        (
            "demo=demo@p;shadow=demo@c;shadow_sample_percent=101",
            "entry 1 ('demo'): shadow_sample_percent: Input",
        ),
        ("demo=demo@p;shadow=", "entry 1 ('demo'): shadow:"),
        ("a b=demo@p", "entry 1 ('a b'): name: 'a b' cannot be a served model's name"),
        ("demo=s3://bucket/model", "an exported directory is a local path here"),
        ("demo=./a\x00b", "a source holds no control characters"),
        (",", "no model listed"),
    ],
)
def test_a_bad_entry_is_one_line_naming_it(models: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")) as raised:
        load_settings(models=models)
    assert "\n" not in str(raised.value)


def test_a_bad_file_entry_names_the_file_and_the_entry(tmp_path: Path) -> None:
    listed = tmp_path / "models.yaml"
    listed.write_text("models:\n  - name: demo\n    model: demo@production\n  - name: wine\n    reload: 5\n")
    with pytest.raises(ConfigurationError, match=rf"PREDICTOR_MODELS_FILE {listed}: entry 2 \('wine'\)"):
        load_settings(models_file=listed)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("models: [", "not YAML"),
        ("- demo\n", "expected a mapping with 'models'"),
        ("models: []\n", "models: Tuple should have at least 1 item"),
        ("default: other\nmodels:\n  - {name: demo, model: demo@production}\n", "default 'other' is none of"),
    ],
)
def test_a_file_that_is_not_a_list_of_models_says_so(tmp_path: Path, text: str, message: str) -> None:
    listed = tmp_path / "models.yaml"
    listed.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        load_settings(models_file=listed)


def test_both_forms_at_once_are_refused(tmp_path: Path) -> None:
    listed = tmp_path / "models.json"
    listed.write_text('{"models": [{"name": "demo", "model": "demo@staging"}]}')
    with pytest.raises(ConfigurationError, match="set PREDICTOR_MODELS or PREDICTOR_MODELS_FILE, not both"):
        load_settings(models_file=listed, models="demo=demo@production")


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ("demo", "entry 1 ('demo') is not KEY_ID=MODEL"),
        ("0123456789ab=", "entry 1 ('0123456789ab=') is not KEY_ID=MODEL"),
        ("not-a-key-id=demo", "KEY_ID the 12 hex digits"),
    ],
)
def test_a_bad_key_scope_is_refused(scopes: str, message: str) -> None:
    with pytest.raises(
        ConfigurationError,
        match="PREDICTOR_API_KEY_MODELS: .*" + message.replace("(", r"\(").replace(")", r"\)"),
    ):
        load_settings(api_key_models=scopes)


def test_key_scopes_are_read_by_key_id() -> None:
    settings = load_settings(api_key_models="0123456789ab=demo+wine,ba9876543210=wine")
    assert settings.security.key_scopes == {
        "0123456789ab": frozenset({"demo", "wine"}),
        "ba9876543210": frozenset({"wine"}),
    }
