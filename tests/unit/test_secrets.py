"""EnvironmentSecretStore: comma-separated lists from environment variables."""

from __future__ import annotations

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
