"""One ModelPublisher contract, run against the in-memory registry and MLflow on SQLite: what
a publisher writes, the catalog of the same registry reads back."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from predictor.domain.errors import ModelNotFound, ModelUnavailable
from predictor.domain.model import ModelRef
from tests.contract.registries import IMPLEMENTATIONS, Logged, log_model


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def logged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Logged:
    return log_model(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture
def name() -> str:
    """A model name no other test uses (the store is shared within the module)."""
    return f"contract-{uuid.uuid4().hex[:8]}"


def test_a_registered_version_resolves_by_version(logged: Logged, name: str) -> None:
    registered = logged.registry.register(name, logged.source, logged.run_id, {"team": "risk"})
    assert (registered.name, registered.version, registered.run_id) == (name, "1", logged.run_id)
    assert registered.source == logged.source
    assert registered.tags == {"team": "risk"}
    assert isinstance(registered.created_at, datetime)
    assert registered.created_at.tzinfo is not None

    resolved = logged.registry.resolve(ModelRef(name, version="1"))
    assert resolved == registered
    assert resolved.aliases == ()


def test_versions_carry_the_runs_test_metrics(logged: Logged, name: str) -> None:
    registered = logged.registry.register(name, logged.source, logged.run_id, {})
    # The contract's run logged no metrics of its own; the fake reads the manifest's as test_*.
    assert set(registered.metrics) <= {"test_roc_auc"}


def test_an_alias_resolves_to_its_version_and_moves(logged: Logged, name: str) -> None:
    registry = logged.registry
    first = registry.register(name, logged.source, logged.run_id, {})
    second = registry.register(name, logged.source, logged.run_id, {})
    assert (first.version, second.version) == ("1", "2")

    registry.set_alias(name, "production", "1")
    assert registry.resolve(ModelRef(name, alias="production")).version == "1"
    assert registry.resolve(ModelRef(name, alias="production")).aliases == ("production",)

    registry.set_alias(name, "production", "2")
    registry.set_alias(name, "challenger", "2")
    moved = registry.resolve(ModelRef(name, alias="production"))
    assert moved.version == "2"
    assert moved.aliases == ("challenger", "production")
    assert registry.resolve(ModelRef(name, version="1")).aliases == ()


def test_versions_are_listed_newest_first_with_their_aliases(logged: Logged, name: str) -> None:
    registry = logged.registry
    for _ in range(3):
        registry.register(name, logged.source, logged.run_id, {})
    registry.set_alias(name, "production", "2")
    registry.set_alias(name, "staging", "3")

    listed = registry.list_versions(name)
    assert [v.version for v in listed] == ["3", "2", "1"]
    assert [v.aliases for v in listed] == [("staging",), ("production",), ()]
    assert all(v.run_id == logged.run_id for v in listed)
    assert name in registry.list_models()


def test_an_alias_on_an_unknown_version_or_model_is_not_found(logged: Logged, name: str) -> None:
    registry = logged.registry
    registry.register(name, logged.source, logged.run_id, {})
    with pytest.raises(ModelNotFound, match="7"):
        registry.set_alias(name, "production", "7")
    with pytest.raises(ModelNotFound):
        registry.set_alias("no-such-model", "production", "1")
    with pytest.raises(ModelNotFound, match="production"):
        registry.resolve(ModelRef(name, alias="production"))  # nothing moved


def test_version_tags_are_added_and_shown_with_the_version(logged: Logged, name: str) -> None:
    registry = logged.registry
    registry.register(name, logged.source, logged.run_id, {"team": "risk"})
    registry.register(name, logged.source, logged.run_id, {})
    registry.set_version_tags(name, "1", {"predictor.alias.production.by": "alice", "empty": ""})
    registry.set_version_tags(name, "1", {"team": "fraud"})

    expected = {"team": "fraud", "predictor.alias.production.by": "alice", "empty": ""}
    assert registry.resolve(ModelRef(name, version="1")).tags == expected
    assert [v.tags for v in registry.list_versions(name)] == [{}, expected]
    with pytest.raises(ModelNotFound):
        registry.set_version_tags(name, "7", {"team": "x"})


def test_model_tags_are_kept_on_the_model_not_its_versions(logged: Logged, name: str) -> None:
    registry = logged.registry
    registry.register(name, logged.source, logged.run_id, {})
    assert registry.model_tags(name) == {}
    registry.set_model_tags(name, {"predictor.alias_history.production": '["1"]'})
    registry.set_model_tags(name, {"predictor.alias_history.production": '["1", "2"]', "owner": "risk"})

    assert registry.model_tags(name) == {"predictor.alias_history.production": '["1", "2"]', "owner": "risk"}
    assert registry.resolve(ModelRef(name, version="1")).tags == {}
    with pytest.raises(ModelNotFound):
        registry.set_model_tags("no-such-model", {"owner": "x"})


def test_an_unreachable_registry_publishes_nothing(logged: Logged, name: str) -> None:
    registry = logged.unreachable()
    with pytest.raises(ModelUnavailable):
        registry.register(name, logged.source, logged.run_id, {})
    with pytest.raises(ModelUnavailable):
        registry.set_alias(name, "production", "1")
