"""PromoteModel and RollbackModel on the in-memory registry: where the alias points, what its
history holds and what the versions record, after each move."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from dependency_injector import providers
from hypothesis import given, settings
from hypothesis import strategies as st

from predictor.adapters.memory import FixedClock
from predictor.container import Container
from predictor.domain.errors import ConfigurationError, InvalidInput, ModelNotFound, NoEarlierVersion
from predictor.domain.model import ModelRef
from predictor.services.registry.promotion import HISTORY_LIMIT, history_tag
from tests.unit.builders import memory_container, train_demo
from tests.unit.variants import registry_of

AT = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)


def with_versions(count: int, container: Container | None = None) -> Container:
    """demo with ``count`` versions and no alias yet; the clock stands still at AT."""
    container = container or memory_container()
    container.adapters.clock.override(providers.Object(FixedClock(AT)))
    for seed in range(count):
        train_demo(container, promote_to=None, seed=seed)
    return container


def alias_of(container: Container, alias: str = "production") -> str:
    return registry_of(container).resolve(ModelRef("demo", alias=alias)).version


def history_of(container: Container, alias: str = "production") -> list[str]:
    raw = registry_of(container).model_tags("demo").get(history_tag(alias))
    return json.loads(raw) if raw else []


def test_promoting_moves_the_alias_and_records_who_when_why() -> None:
    container = with_versions(2)
    promote = container.promote_model()
    first = promote("demo", "1", "production", by="alice", reason="first release")
    move = promote("demo", "2", "production", by="bob", reason="better recall")

    assert alias_of(container) == "2"
    assert (move.previous, move.version, move.action, move.changed) == ("1", "2", "promote", True)
    assert first.previous is None
    assert history_of(container) == ["1"]
    tags = registry_of(container).resolve(ModelRef("demo", version="2")).tags
    assert {k: v for k, v in tags.items() if k.startswith("predictor.alias.production.")} == {
        "predictor.alias.production.action": "promote",
        "predictor.alias.production.by": "bob",
        "predictor.alias.production.at": "2026-03-01T12:30:00+00:00",
        "predictor.alias.production.reason": "better recall",
        "predictor.alias.production.previous": "1",
    }


def test_promoting_the_version_the_alias_names_changes_nothing() -> None:
    container = with_versions(2)
    promote = container.promote_model()
    promote("demo", "1", "production", by="alice")
    promote("demo", "2", "production", by="alice")
    again = promote("demo", "2", "production", by="alice")
    assert not again.changed
    assert history_of(container) == ["1"]  # no entry that would roll back to itself


def test_rolling_back_twice_goes_back_twice_then_refuses() -> None:
    container = with_versions(3)
    promote, rollback = container.promote_model(), container.rollback_model()
    for version in ("1", "2", "3"):
        promote("demo", version, "production", by="alice")
    assert history_of(container) == ["1", "2"]

    back = rollback("demo", "production", by="carol", reason="latency")
    assert (alias_of(container), back.previous, back.history) == ("2", "3", ("1",))
    assert rollback("demo", "production", by="carol").version == "1"
    assert alias_of(container) == "1"
    assert history_of(container) == []

    with pytest.raises(NoEarlierVersion, match=r"models:/demo@production has no earlier version"):
        rollback("demo", "production", by="carol")
    assert alias_of(container) == "1"
    tags = registry_of(container).resolve(ModelRef("demo", version="2")).tags
    assert tags["predictor.alias.production.action"] == "rollback"
    assert tags["predictor.alias.production.reason"] == "latency"


def test_aliases_keep_separate_histories() -> None:
    container = with_versions(2)
    promote = container.promote_model()
    promote("demo", "1", "staging", by="a")
    promote("demo", "2", "staging", by="a")
    promote("demo", "1", "production", by="a")
    assert (history_of(container, "staging"), history_of(container, "production")) == (["1"], [])
    with pytest.raises(NoEarlierVersion):
        container.rollback_model()("demo", "production", by="a")
    container.rollback_model()("demo", "staging", by="a")
    assert alias_of(container, "staging") == "1"


def test_a_rollback_skips_a_history_entry_equal_to_where_the_alias_is() -> None:
    # As left by a promotion that saved the history but failed to move the alias.
    container = with_versions(2)
    registry = registry_of(container)
    registry.set_alias("demo", "production", "2")
    registry.set_model_tags("demo", {history_tag("production"): json.dumps(["1", "2"])})
    assert container.rollback_model()("demo", "production", by="a").version == "1"


@pytest.mark.parametrize("alias", ["latest", "V3", "a.b", "", "with space"])
def test_aliases_mlflow_would_refuse_are_refused_before_anything_moves(alias: str) -> None:
    container = with_versions(1)
    with pytest.raises(InvalidInput, match="cannot be an alias"):
        container.promote_model()("demo", "1", alias, by="a")


def test_an_unknown_version_or_model_moves_nothing() -> None:
    container = with_versions(1)
    container.promote_model()("demo", "1", "production", by="a")
    with pytest.raises(ModelNotFound):
        container.promote_model()("demo", "9", "production", by="a")
    with pytest.raises(InvalidInput, match="not a version number"):
        container.promote_model()("demo", "two", "production", by="a")
    with pytest.raises(ModelNotFound):
        container.rollback_model()("nope", "production", by="a")
    assert alias_of(container) == "1"
    assert history_of(container) == []


def test_the_history_keeps_the_latest_versions_only() -> None:
    container = with_versions(1)
    registry = registry_of(container)
    registry.set_model_tags("demo", {history_tag("production"): json.dumps(["1"] * HISTORY_LIMIT)})
    container.promote_model()("demo", "1", "production", by="a")
    train_demo(container, promote_to=None, seed=9)
    container.promote_model()("demo", "2", "production", by="a")
    assert len(history_of(container)) == HISTORY_LIMIT


def test_a_history_tag_that_is_not_a_list_of_versions_is_a_clear_error() -> None:
    container = with_versions(1)
    registry_of(container).set_model_tags("demo", {history_tag("production"): "[1, 2"})
    with pytest.raises(ConfigurationError, match=r"predictor\.alias_history\.production"):
        container.rollback_model()("demo", "production", by="a")


def test_describing_a_model_shows_versions_aliases_and_histories() -> None:
    container = with_versions(3)
    promote = container.promote_model()
    for version in ("1", "3"):
        promote("demo", version, "production", by="a")
    promote("demo", "2", "staging", by="a")

    (listed,) = container.list_models()()
    described = container.describe_model()("demo")
    assert listed == described
    assert [v.version for v in described.versions] == ["3", "2", "1"]
    assert described.aliases == {"production": "3", "staging": "2"}
    assert described.history == {"production": ("1",)}
    assert described.versions[0].tags["predictor.alias.production.previous"] == "1"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(min_value=1, max_value=4), st.none()), max_size=12))
def test_rollback_undoes_promotions_like_a_stack(moves: list[int | None]) -> None:
    """Any sequence of promotions (a version number) and rollbacks (None): the alias always
    names what a stack of 'versions it left' says it should."""
    container = memory_container()
    for seed in range(4):
        train_demo(container, promote_to=None, seed=seed)
    promote, rollback = container.promote_model(), container.rollback_model()
    current: str | None = None
    left: list[str] = []
    for move in moves:
        if move is not None:
            if current is not None and current != str(move):
                left.append(current)
            promote("demo", str(move), "production", by="h")
            current = str(move)
        elif left:
            current = left.pop()
            assert rollback("demo", "production", by="h").version == current
        else:
            with pytest.raises(NoEarlierVersion):
                rollback("demo", "production", by="h")
        if current is not None:
            assert alias_of(container) == current
        assert history_of(container) == left
