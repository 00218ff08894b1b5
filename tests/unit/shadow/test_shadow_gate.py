"""The promote gate on a shadow's figures: the pair being promoted, each threshold, nothing moved
unless all pass."""

from __future__ import annotations

from dataclasses import replace

import pytest

from predictor.adapters.memory import StaticShadowSummaries
from predictor.container import Container
from predictor.domain.errors import ModelNotFound, ShadowDisagrees
from predictor.domain.model import ModelRef
from predictor.domain.shadow import ShadowFigures
from predictor.services.registry.shadow_gate import PromoteIfShadowAgrees, ShadowThresholds
from tests.unit.builders import memory_container, train_demo

AGREEING = ShadowFigures("1", "2", 1500, 1500, 0.995, 0.01, 0.15, 0, 0, shadow_model="demo")


def two_versions() -> Container:
    container = memory_container()
    train_demo(container)
    train_demo(container, promote_to="challenger", seed=7)
    return container


def gate(container: Container, *pairs: ShadowFigures) -> PromoteIfShadowAgrees:
    summaries = StaticShadowSummaries({"demo": list(pairs)})
    return PromoteIfShadowAgrees(summaries, container.adapters.registry(), container.promote_model())


def production(container: Container) -> str:
    version: str = container.adapters.registry().resolve(ModelRef("demo", alias="production")).version
    return version


def test_a_pair_that_meets_every_threshold_is_promoted() -> None:
    container = two_versions()
    move = gate(container, AGREEING)("demo", "2", "production", "ci", "shadow agreed", ShadowThresholds())

    assert (move.previous, move.version, move.changed) == ("1", "2", True)
    assert production(container) == "2"


@pytest.mark.parametrize(
    ("figures", "thresholds", "says"),
    [
        (replace(AGREEING, requests=999), ShadowThresholds(), "scored 999 requests; the gate needs 1000"),
        (replace(AGREEING, errors=2), ShadowThresholds(max_errors=1), "failed 2 requests; the gate allows 1"),
        (replace(AGREEING, incompatible=1), ShadowThresholds(), "could not take 1 requests; the gate allows"),
        (
            replace(AGREEING, agreement=0.98),
            ShadowThresholds(),
            "agree on 0.9800 of the rows; the gate needs 0.99",
        ),
        (replace(AGREEING, max_difference=0.3), ShadowThresholds(), "largest difference on a row is 0.3000"),
    ],
)
def test_the_first_figure_that_fails_is_named_and_nothing_moves(
    figures: ShadowFigures, thresholds: ShadowThresholds, says: str
) -> None:
    container = two_versions()
    with pytest.raises(ShadowDisagrees, match=says) as raised:
        gate(container, figures)("demo", "2", "production", "ci", "", thresholds)

    assert "(champion 1, shadow 2)" in str(raised.value)
    assert production(container) == "1"


def test_a_regressors_pair_has_no_agreement_to_check() -> None:
    container = two_versions()
    regressor = replace(AGREEING, agreement=None, max_difference=3.5)
    move = gate(container, regressor)(
        "demo", "2", "production", "ci", "", ShadowThresholds(max_difference=5.0)
    )
    assert move.version == "2"


def test_figures_of_another_pair_do_not_count() -> None:
    container = two_versions()
    other_champion = replace(AGREEING, champion_version="7")
    with pytest.raises(
        ShadowDisagrees, match=r"no shadow figures for champion version 1 with shadow version 2"
    ):
        gate(container, other_champion)("demo", "2", "production", "ci", "", ShadowThresholds())
    with pytest.raises(ShadowDisagrees, match=r"its pairs, champion -> shadow: none"):
        gate(container)("demo", "2", "production", "ci", "", ShadowThresholds())
    assert production(container) == "1"


def test_the_newest_figures_of_a_pair_count() -> None:
    container = two_versions()
    move = gate(container, replace(AGREEING, requests=3), AGREEING)(
        "demo", "2", "production", "", "", ShadowThresholds()
    )
    assert move.version == "2"


def test_an_alias_that_names_no_version_has_no_champion() -> None:
    container = two_versions()
    with pytest.raises(ShadowDisagrees, match="demo@staging names no version"):
        gate(container, AGREEING)("demo", "2", "staging", "ci", "", ShadowThresholds())


def test_a_name_without_a_shadow_is_not_found() -> None:
    container = two_versions()
    summaries = StaticShadowSummaries({})
    promote = PromoteIfShadowAgrees(summaries, container.adapters.registry(), container.promote_model())
    with pytest.raises(ModelNotFound, match="no shadow"):
        promote("demo", "2", "production", "ci", "", ShadowThresholds())


def test_figures_of_a_shadow_that_runs_another_model_do_not_count() -> None:
    container = two_versions()
    for other in ("other", None):
        with pytest.raises(ShadowDisagrees, match="version 2 of demo never ran as the shadow"):
            gate(container, replace(AGREEING, shadow_model=other))(
                "demo", "2", "production", "ci", "", ShadowThresholds()
            )
    assert production(container) == "1"


def test_the_summary_is_read_under_the_served_name() -> None:
    container = two_versions()
    summaries = StaticShadowSummaries({"served-demo": [AGREEING]})
    promote = PromoteIfShadowAgrees(summaries, container.adapters.registry(), container.promote_model())
    move = promote("demo", "2", "production", "ci", "", ShadowThresholds(), served_name="served-demo")
    assert move.version == "2"
