"""The documentation site's generated references (tools/docsite) and its strict build.

The configuration table must list every setting the code reads with the code's default; the
troubleshooting tables must have a fix for every problem type and error, and quote only
messages the code still says; and the site must fail to build on a broken link or anchor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tools.docsite import settings_reference, troubleshooting

from predictor.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "predictor"


def test_every_setting_has_a_meaning_and_every_meaning_a_setting() -> None:
    assert settings_reference.problems(settings_reference.settings(), settings_reference.meanings()) == []


def test_a_setting_without_a_meaning_is_reported() -> None:
    meant = settings_reference.meanings()
    del meant["PREDICTOR_PORT"]
    meant["PREDICTOR_NO_SUCH_THING"] = "nothing"
    assert settings_reference.problems(settings_reference.settings(), meant) == [
        "PREDICTOR_PORT: no meaning in settings.toml",
        "PREDICTOR_NO_SUCH_THING: in settings.toml but no such setting",
    ]


def test_the_table_shows_the_defaults_the_settings_load_with() -> None:
    found = {setting.variable: setting for setting in settings_reference.settings()}
    loaded = load_settings()
    assert found["PREDICTOR_PORT"].default == f"`{loaded.http.port}`"
    assert found["PREDICTOR_MODEL_ALIAS"].default == f"`{loaded.serving.model_alias}`"
    assert found["PREDICTOR_METRICS_SINK"].type == "one of `emf`, `cloudwatch`, `none`"
    assert found["PREDICTOR_MLFLOW_TRACKING_URI"].also == ("MLFLOW_TRACKING_URI",)
    table = settings_reference.table(list(found.values()), settings_reference.meanings())
    assert table.count("\n| `PREDICTOR_") == len(found)


def test_every_problem_type_and_error_has_a_fix() -> None:
    assert troubleshooting.gaps(troubleshooting.load_fixes()) == []


def test_a_missing_fix_is_reported() -> None:
    fixes = troubleshooting.load_fixes()
    del fixes.problems["model-unavailable"]
    del fixes.errors["NoEarlierVersion"]
    assert troubleshooting.gaps(fixes) == [
        "problem model-unavailable: no fix",
        "error NoEarlierVersion: no fix",
    ]


def test_every_quoted_message_is_still_in_the_code() -> None:
    code = "\n".join(path.read_text() for path in SOURCES.rglob("*.py"))
    quoted = [message for messages in troubleshooting.load_fixes().messages.values() for message in messages]
    assert quoted
    assert [message for message in quoted if message not in code] == []


def test_the_exit_codes_are_the_clis() -> None:
    from predictor.domain.errors import InvalidModel, ModelUnavailable, NoEarlierVersion, TooManyRequests
    from predictor.entrypoints.cli.base import exit_code_for

    for error in (InvalidModel("x"), ModelUnavailable("x"), NoEarlierVersion("x"), TooManyRequests("x", 1)):
        assert troubleshooting.exit_code_of(type(error)) == exit_code_for(error)


def build(config: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize(
    ("page", "broken"),
    [("quickstart.md", "[gone](no-such-page.md)"), ("api.md", "[gone](configuration.md#no-such-anchor)")],
)
def test_a_broken_link_fails_the_build(tmp_path: Path, page: str, broken: str) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    (tmp_path / "tools").symlink_to(ROOT / "tools")  # the hooks, by the path mkdocs.yml gives
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    assert build(tmp_path / "mkdocs.yml").returncode == 0
    with (tmp_path / "docs" / page).open("a") as file:
        file.write(f"\n{broken}\n")
    failed = build(tmp_path / "mkdocs.yml")
    assert failed.returncode != 0
    assert "Aborted" in failed.stdout + failed.stderr


def test_the_api_reference_names_every_route_and_problem_type() -> None:
    from dependency_injector import providers

    from predictor.adapters.memory import StaticSecretStore
    from predictor.config import API_KEYS_SECRET
    from predictor.entrypoints.http.app import create_app
    from tests.unit.builders import memory_container, train_demo

    container = memory_container()
    container.adapters.secrets.override(
        providers.Object(StaticSecretStore({API_KEYS_SECRET: ["docs-key-0123456789"]}))
    )
    train_demo(container)
    paths = create_app(container).openapi()["paths"]
    page = (ROOT / "docs" / "api.md").read_text()
    # A versioned V2 route is documented as "(also `/versions/{version}…`)" beside its plain one.
    unnamed = [
        path for path in paths if path not in page and path.replace("/versions/{version}", "") not in page
    ]
    assert unnamed == []
    assert [problem.slug for problem in troubleshooting.problems() if f"`{problem.slug}`" not in page] == []
