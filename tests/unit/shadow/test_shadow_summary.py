"""The shadow's figures: one request compared, and a pair's running figures."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from predictor.adapters.memory import FixedClock
from predictor.adapters.memory.metrics import RecordingMetricsRecorder
from predictor.domain.ports import Counted, Measured
from predictor.domain.schema import Target, TaskType
from predictor.services.serving.shadow_compare import Comparison, compare, compare_each
from predictor.services.serving.shadow_summary import ShadowSummary

BINARY = Target("y", TaskType.BINARY, ("no", "yes"))
MULTICLASS = Target("y", TaskType.MULTICLASS, ("a", "b", "c"))
REGRESSION = Target("y", TaskType.REGRESSION, ())
NOON = datetime(2026, 12, 3, 12, tzinfo=UTC)


def test_binary_rows_agree_on_labels_and_differ_by_their_probabilities() -> None:
    champion = np.array([0.9, 0.2, 0.55, 0.4])
    shadow = np.array([0.8, 0.3, 0.45, 0.4])

    got = compare(champion, shadow, BINARY, threshold=0.5)

    assert (got.rows, got.agreed) == (4, 3)  # the third row crosses the threshold
    assert got.difference_sum == pytest.approx(0.1 + 0.1 + 0.1 + 0.0)
    assert got.max_difference == pytest.approx(0.1)


def test_the_threshold_decides_a_binary_rows_label() -> None:
    got = compare(np.array([0.35]), np.array([0.45]), BINARY, threshold=0.4)
    assert got.agreed == 0


def test_a_multiclass_rows_difference_is_its_largest_over_the_classes() -> None:
    champion = np.array([[0.7, 0.2, 0.1], [0.3, 0.4, 0.3]])
    shadow = np.array([[0.6, 0.35, 0.05], [0.5, 0.3, 0.2]])

    got = compare(champion, shadow, MULTICLASS, threshold=0.5)

    assert (got.rows, got.agreed) == (2, 1)
    assert got.difference_sum == pytest.approx(0.15 + 0.2)
    assert got.max_difference == pytest.approx(0.2)


def test_a_regressor_has_no_agreement_only_differences_of_values() -> None:
    got = compare(np.array([10.0, 2.0]), np.array([12.5, 1.0]), REGRESSION, threshold=0.5)
    assert got == Comparison(rows=2, agreed=None, difference_sum=3.5, max_difference=2.5)


@pytest.mark.parametrize(
    ("shadow", "message"),
    [(np.array([0.1, 0.2, 0.3]), "shape"), (np.array([0.1, np.nan]), "not finite")],
)
def test_scores_that_cannot_be_compared_raise(shadow: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare(np.array([0.1, 0.2]), shadow, BINARY, threshold=0.5)


def test_stacked_requests_are_compared_each_on_its_own_rows() -> None:
    champion = np.array([0.9, 0.2, 0.55, 0.4, 0.7])
    shadow = np.array([0.8, 0.3, 0.45, 0.4, 0.9])
    one_by_one = [compare(champion[a:b], shadow[a:b], BINARY, 0.5) for a, b in ((0, 1), (1, 3), (3, 5))]

    assert compare_each(champion, shadow, [1, 2, 2], BINARY, 0.5) == pytest.approx(one_by_one)
    with_empty = compare_each(champion, shadow, [1, 0, 4], BINARY, 0.5)
    assert [c.rows for c in with_empty] == [1, 0, 4]
    assert with_empty[1] == Comparison(0, 0, 0.0, 0.0)
    with pytest.raises(ValueError, match="shape"):
        compare_each(champion, shadow, [1, 2], BINARY, 0.5)


def test_each_pair_of_versions_keeps_its_own_figures() -> None:
    meter = RecordingMetricsRecorder()
    summary = ShadowSummary("demo", FixedClock(NOON), meter)

    summary.record(("1", "2"), [Comparison(4, 3, 0.4, 0.2)], latency_ms=2.0)
    summary.record(("1", "2"), [Comparison(1, 1, 0.0, 0.0)], latency_ms=4.0)
    summary.failed(("1", "2"))
    summary.record(("1", "3"), [Comparison(2, 2, 0.02, 0.01)], latency_ms=1.0)
    summary.incompatible(("1", "3"))
    summary.dropped()

    report = summary.report()
    assert report["name"] == "demo"
    assert report["dropped"] == 1
    first, second = report["pairs"]
    assert (first["champion_version"], first["shadow_version"], first["since"]) == (
        "1",
        "2",
        NOON.isoformat(),
    )
    assert (first["requests"], first["rows"], first["errors"], first["incompatible"]) == (2, 5, 1, 0)
    assert first["agreement"] == pytest.approx(4 / 5)
    assert first["mean_difference"] == pytest.approx(0.4 / 5)
    assert first["max_difference"] == pytest.approx(0.2)
    assert first["latency_ms"]["p99"] == pytest.approx(4.0, rel=0.1)
    assert (second["shadow_version"], second["requests"], second["incompatible"]) == ("3", 1, 1)
    assert second["agreement"] == 1.0

    pair = (("model", "demo"), ("shadow_version", "2"), ("version", "1"))
    assert meter.counts[(Counted.SHADOW_ROWS, pair)] == 5
    assert meter.counts[(Counted.SHADOW_AGREED_ROWS, pair)] == 4
    assert meter.counts[(Counted.SHADOW_ERRORS, pair)] == 1
    assert meter.counts[(Counted.SHADOW_DROPPED, (("model", "demo"),))] == 1
    latencies = [
        value for what, value, labels in meter.measured if what is Measured.SHADOW_LATENCY and labels == pair
    ]
    assert latencies == [2.0, 4.0]


def test_a_pair_not_yet_scored_reports_no_figures() -> None:
    summary = ShadowSummary("demo", FixedClock(NOON))
    summary.failed(("1", "2"))

    (pair,) = summary.report()["pairs"]

    assert (pair["requests"], pair["errors"]) == (0, 1)
    assert pair["agreement"] is pair["mean_difference"] is pair["max_difference"] is None
    assert pair["latency_ms"] == {"p50": None, "p99": None}
