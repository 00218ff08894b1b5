"""EnvironmentSecretStore: comma-separated lists from environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from predictor.adapters.environment.secrets import EnvironmentSecretStore

NAME = "PREDICTOR_TEST_SECRET_LIST"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("one", ["one"]),
        ("one,two", ["one", "two"]),
        ("  one , two  ,three ", ["one", "two", "three"]),
        ("one,,two,", ["one", "two"]),
        ("", []),
        (" , ,", []),
    ],
)
def test_a_variable_reads_as_a_stripped_list_without_empties(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: list[str]
) -> None:
    monkeypatch.setenv(NAME, raw)
    assert list(EnvironmentSecretStore().get_list(NAME)) == expected


def test_an_unset_variable_is_an_empty_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert list(EnvironmentSecretStore().get_list(NAME)) == []


def test_the_variable_is_read_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    store = EnvironmentSecretStore()
    monkeypatch.setenv(NAME, "old-key")
    assert list(store.get_list(NAME)) == ["old-key"]
    monkeypatch.setenv(NAME, "new-key")
    assert list(store.get_list(NAME)) == ["new-key"]


def test_the_environment_wins_over_the_env_file_and_the_secrets_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(f"{NAME}=from-env-file\n")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / NAME.lower()).write_text("from-secrets-dir\n")
    store = EnvironmentSecretStore(tmp_path / ".env", tmp_path / "secrets")
    monkeypatch.setenv(NAME, "from-environment")
    assert list(store.get_list(NAME)) == ["from-environment"]
    monkeypatch.delenv(NAME)
    assert list(store.get_list(NAME)) == ["from-env-file"]
    (tmp_path / ".env").write_text("")
    assert list(store.get_list(NAME)) == ["from-secrets-dir"]


def test_missing_files_are_an_empty_list(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(NAME, raising=False)
    assert list(EnvironmentSecretStore(tmp_path / "no.env", tmp_path / "no-dir").get_list(NAME)) == []
