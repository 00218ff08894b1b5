"""RefreshModel, the hot-reload state machine, on the in-memory adapters: what is served, what
was downloaded, logged and alerted after each refresh."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from dependency_injector import providers

from predictor.adapters.files.cache import LocalModelCache
from predictor.adapters.memory import InMemoryModelRegistry, RecordingAlerter
from predictor.container import Container
from predictor.domain.manifest import ModelManifest
from predictor.domain.model import ModelRef, ModelVersion
from predictor.domain.schema import Feature, FeatureKind, FeatureSchema, Target, TaskType
from predictor.services.serving.loading import ModelSlot
from predictor.services.serving.refresh import RefreshStatus, schema_breaks
from tests.unit.builders import memory_container, train_demo
from tests.unit.variants import PRODUCTION, categories, register_variant, registry_of, renamed


def alerts_of(container: Container) -> list[str]:
    alerter = container.adapters.alerter()
    assert isinstance(alerter, RecordingAlerter)
    return [alert.subject for alert in alerter.alerts]


def serving(container: Container) -> str:
    return container.slot().current().version.version


@pytest.fixture
def loaded(container: Container) -> Container:
    """demo@production is version 1, loaded and served."""
    train_demo(container)
    container.load_model()(PRODUCTION)
    return container


def test_an_alias_that_did_not_move_changes_nothing(loaded: Container) -> None:
    before = loaded.slot().current()
    outcome = loaded.refresh_model()(PRODUCTION)
    assert (outcome.status, outcome.serving) == (RefreshStatus.UNCHANGED, "1")
    assert loaded.slot().current() is before
    assert registry_of(loaded).downloads == 1
    assert alerts_of(loaded) == []


def test_a_moved_alias_swaps_the_new_version_in_and_back_with_one_download_each(
    loaded: Container, tmp_path: Path
) -> None:
    registry = registry_of(loaded)
    second = register_variant(loaded, tmp_path)
    registry.set_alias("demo", "production", second)

    outcome = loaded.refresh_model()(PRODUCTION)
    assert (outcome.status, outcome.previous, outcome.serving) == (RefreshStatus.SWAPPED, "1", "2")
    assert serving(loaded) == "2"
    assert loaded.slot().current().origin == "registry"
    remembered = loaded.adapters.cache().last_good(PRODUCTION)
    assert remembered is not None
    assert remembered[0].version == "2"  # a restart with the registry down serves version 2

    registry.set_alias("demo", "production", "1")
    assert loaded.refresh_model()(PRODUCTION).status is RefreshStatus.SWAPPED
    registry.set_alias("demo", "production", "2")
    assert loaded.refresh_model()(PRODUCTION).status is RefreshStatus.SWAPPED
    assert serving(loaded) == "2"
    assert registry.downloads == 2  # versions 1 and 2, each once
    assert alerts_of(loaded) == []


def test_a_version_that_fails_to_load_is_refused_once_and_the_old_one_keeps_serving(
    loaded: Container, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = registry_of(loaded)
    broken = register_variant(loaded, tmp_path, corrupt=True)
    registry.set_alias("demo", "production", broken)

    with caplog.at_level(logging.ERROR, logger="predictor.services.serving.refresh"):
        outcomes = [loaded.refresh_model()(PRODUCTION) for _ in range(3)]
    assert {o.status for o in outcomes} == {RefreshStatus.REFUSED}
    assert outcomes[0].candidate == broken
    assert "weights" in str(outcomes[0].reason)
    assert serving(loaded) == "1"
    assert alerts_of(loaded) == ["model version refused"]  # once, not on every poll
    assert registry.downloads == 2  # not fetched again on every poll either
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1

    forced = loaded.refresh_model()(PRODUCTION, force=True)  # the admin reload tries again
    assert forced.status is RefreshStatus.REFUSED
    assert serving(loaded) == "1"


def test_a_version_whose_smoke_prediction_fails_is_refused(loaded: Container, tmp_path: Path) -> None:
    def bad_example(manifest: ModelManifest) -> ModelManifest:
        return replace(manifest, input_example=({"x1": "text", "x2": 1.0, "colour": "red"},))

    registry_of(loaded).set_alias("demo", "production", register_variant(loaded, tmp_path, bad_example))
    outcome = loaded.refresh_model()(PRODUCTION)
    assert outcome.status is RefreshStatus.REFUSED
    assert "input example" in str(outcome.reason)
    assert serving(loaded) == "1"


def test_a_breaking_schema_change_is_refused_unless_allowed(tmp_path: Path) -> None:
    for allow, expected, served in [(False, RefreshStatus.REFUSED, "1"), (True, RefreshStatus.SWAPPED, "2")]:
        container = memory_container(allow_breaking_changes=allow)
        train_demo(container)
        container.load_model()(PRODUCTION)
        variant = register_variant(container, tmp_path, renamed("x1", "income"))
        registry_of(container).set_alias("demo", "production", variant)

        outcome = container.refresh_model()(PRODUCTION)
        assert (outcome.status, serving(container)) == (expected, served)
        if not allow:
            assert "breaking change" in str(outcome.reason)
            assert "'income'" in str(outcome.reason)
            assert alerts_of(container) == ["model version refused"]


def test_new_categories_are_compatible_and_lost_ones_are_not(loaded: Container, tmp_path: Path) -> None:
    registry = registry_of(loaded)
    wider = register_variant(loaded, tmp_path, categories("colour", ("blue", "green", "red", "teal")))
    registry.set_alias("demo", "production", wider)
    assert loaded.refresh_model()(PRODUCTION).status is RefreshStatus.SWAPPED

    narrower = register_variant(loaded, tmp_path, categories("colour", ("green", "red")))
    registry.set_alias("demo", "production", narrower)
    outcome = loaded.refresh_model()(PRODUCTION)
    assert outcome.status is RefreshStatus.REFUSED
    assert "no longer knows the categories ['blue', 'teal']" in str(outcome.reason)
    assert serving(loaded) == wider


def _schema(
    *features: Feature, task: TaskType = TaskType.BINARY, labels: tuple[str, ...] = ("no", "yes")
) -> FeatureSchema:
    return FeatureSchema(features, Target("label", task, labels))


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (_schema(Feature("a"), Feature("b")), []),
        (_schema(Feature("b"), Feature("a")), ["the features change from ['a', 'b'] to ['b', 'a']"]),
        (_schema(Feature("a")), ["the features change from ['a', 'b'] to ['a']"]),
        (
            _schema(Feature("a"), Feature("b", FeatureKind.CATEGORICAL, ("x",))),
            ["feature 'b' changes from numeric to categorical"],
        ),
        (
            _schema(Feature("a"), Feature("b"), labels=("no", "maybe")),
            ["the labels change from ['no', 'yes'] to ['no', 'maybe']"],
        ),
        (
            _schema(Feature("a"), Feature("b"), task=TaskType.REGRESSION, labels=()),
            ["the task changes from binary to regression"],
        ),
    ],
)
def test_what_counts_as_a_breaking_change(candidate: FeatureSchema, expected: list[str]) -> None:
    assert schema_breaks(_schema(Feature("a"), Feature("b")), candidate) == expected


def test_an_unreachable_registry_keeps_serving_alerts_once_per_outage_and_logs_recovery(
    loaded: Container, caplog: pytest.LogCaptureFixture
) -> None:
    registry = registry_of(loaded)
    refresh = loaded.refresh_model()
    with caplog.at_level(logging.INFO, logger="predictor.services.serving.refresh"):
        registry.offline = True
        outage = [refresh(PRODUCTION) for _ in range(4)]
        registry.offline = False
        back = refresh(PRODUCTION)
        registry.offline = True
        second_outage = [refresh(PRODUCTION) for _ in range(2)]

    assert {o.status for o in outage + second_outage} == {RefreshStatus.UNREACHABLE}
    assert back.status is RefreshStatus.UNCHANGED
    assert serving(loaded) == "1"
    assert loaded.slot().ready
    assert alerts_of(loaded) == ["registry unreachable", "registry unreachable"]  # once per outage
    assert [r.getMessage() for r in caplog.records].count("registry reachable again") == 1


def test_a_vanished_alias_keeps_serving_and_alerts_once(loaded: Container) -> None:
    refresh = loaded.refresh_model()
    gone = ModelRef("demo", alias="retired")
    outcomes = [refresh(gone) for _ in range(2)]
    assert {o.status for o in outcomes} == {RefreshStatus.NOT_FOUND}
    assert serving(loaded) == "1"
    assert alerts_of(loaded) == ["model not found"]


class GatedRegistry(InMemoryModelRegistry):
    """Resolving waits at a gate and counts how many resolutions run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.inside = 0
        self.most_inside = 0
        self._count = threading.Lock()

    def resolve(self, ref: ModelRef) -> ModelVersion:
        with self._count:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            self.gate.wait(timeout=5)
            return super().resolve(ref)
        finally:
            with self._count:
                self.inside -= 1


def test_refreshes_never_run_at_once(tmp_path: Path) -> None:
    container = memory_container()
    gated = GatedRegistry()
    container.adapters.registry.override(providers.Object(gated))
    gated.gate.set()
    train_demo(container)
    container.load_model()(PRODUCTION)
    gated.set_alias("demo", "production", register_variant(container, tmp_path))
    gated.gate.clear()

    refresh = container.refresh_model()
    results = []
    threads = [threading.Thread(target=lambda: results.append(refresh(PRODUCTION))) for _ in range(4)]
    for thread in threads:
        thread.start()
    threading.Event().wait(0.1)  # let every thread reach the lock or the gate
    gated.gate.set()
    for thread in threads:
        thread.join(timeout=10)

    assert gated.most_inside == 1
    assert sorted(r.status.value for r in results) == ["swapped", "unchanged", "unchanged", "unchanged"]
    assert gated.downloads == 2


def test_a_corrupted_cache_entry_is_fetched_again_once(container: Container, tmp_path: Path) -> None:
    cache = LocalModelCache(tmp_path / "cache")
    container.adapters.cache.override(providers.Object(cache))
    train_demo(container)
    container.load_model()(PRODUCTION)
    container.load_model()(PRODUCTION)
    registry = registry_of(container)
    assert registry.downloads == 1

    (booster,) = (tmp_path / "cache" / "demo" / "1" / "model").glob("weights.json")
    booster.write_text(booster.read_text().replace("1", "7", 1))  # one flipped digit: bit rot
    fresh = ModelSlot()
    container.slot.override(fresh)
    container.load_model()(PRODUCTION)
    assert registry.downloads == 2
    assert fresh.current().version.version == "1"
    container.load_model()(PRODUCTION)
    assert registry.downloads == 2


def test_without_a_model_loaded_a_refresh_loads_one(container: Container) -> None:
    train_demo(container)
    outcome = container.refresh_model()(PRODUCTION)
    assert (outcome.status, outcome.previous, outcome.serving) == (RefreshStatus.SWAPPED, None, "1")
    assert container.slot().ready
