"""Request capture on the in-memory store: sampling, batching by size and by time, a bounded
queue, rows grouped per served model, and a failing store that never reaches a request."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from datetime import UTC, datetime

import numpy as np
import pytest

from predictor.adapters.memory import FixedClock, InMemoryCaptureStore, RecordingAlerter
from predictor.config import load_settings
from predictor.container import Container
from predictor.domain.alerts import CAPTURE_FAILING
from predictor.domain.capture import CapturedRows
from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import Counted
from predictor.domain.schema import TaskType
from predictor.services.serving.capture import CapturedRequest, CaptureQueue, CaptureRequests
from predictor.services.serving.capture_writer import WriteCaptured
from predictor.services.serving.prediction import PredictionResult
from predictor.services.serving.telemetry import RequestMetrics
from tests.unit.builders import serving

AT = datetime(2026, 12, 3, 14, 0, 0, 123456, tzinfo=UTC)


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rows_of(container: Container) -> list[dict[str, object]]:
    return [dict(r) for r in container.slot().current().model.manifest.input_example]


def predicted(container: Container, rows: list[dict[str, object]]) -> PredictionResult:
    return asyncio.run(container.make_prediction()(rows))


def counted(metrics: RequestMetrics, what: Counted) -> dict[tuple[str, ...], float]:
    return {tuple(m.dimensions.values()): m.value for m in metrics.drain() if m.name == what.value}


def parts(
    max_rows: int = 1000, batch_rows: int = 1000, interval_s: float = 60.0, percent: float = 100.0
) -> tuple[CaptureQueue, CaptureRequests, WriteCaptured, InMemoryCaptureStore, RequestMetrics, Ticks]:
    ticks, store, metrics = Ticks(), InMemoryCaptureStore(), RequestMetrics()
    queue = CaptureQueue(max_rows, batch_rows, interval_s, monotonic=ticks)
    capture = CaptureRequests(queue, percent, FixedClock(AT), metrics, rng=random.Random(7))  # noqa: S311  # sampling, seeded
    return queue, capture, WriteCaptured(queue, store, metrics, RecordingAlerter()), store, metrics, ticks


CONTAINER = serving()
RESULT = predicted(CONTAINER, rows_of(CONTAINER)[:2])


def _one_captured() -> CapturedRequest:
    queue, capture, *_ = parts()
    capture("demo", RESULT, "r1")
    ((captured,),) = queue.take(everything=True)
    return captured


CAPTURED = _one_captured()


@pytest.mark.parametrize("percent", [0.0, 30.0, 100.0])
def test_the_share_sampled_is_the_seeded_generators(percent: float) -> None:
    queue, capture, *_ = parts(max_rows=10_000, percent=percent)
    for k in range(500):
        capture("demo", RESULT, f"r{k}")
    draws = random.Random(7)  # noqa: S311  # the sampler's seed
    kept = sum(draws.random() < percent / 100 for _ in range(500))  # the same seed's draws
    assert queue.rows == 2 * kept
    assert kept == {0.0: 0, 100.0: 500}.get(percent, kept)
    assert percent != 30.0 or 100 < kept < 200  # about 30 % of 500


def test_a_batch_is_written_once_it_holds_the_batch_size() -> None:
    _, capture, writer, store, *_ = parts(batch_rows=5)
    capture("demo", RESULT, "r1")
    capture("demo", RESULT, "r2")
    writer.write_due()
    assert store.batches == {}
    capture("demo", RESULT, "r3")
    writer.write_due()
    (batch,) = store.batches["demo"]
    assert len(batch) == 6
    assert batch.request_ids == ("r1", "r1", "r2", "r2", "r3", "r3")


def test_a_batch_is_written_once_its_first_row_has_waited_the_interval() -> None:
    _, capture, writer, store, _, ticks = parts(batch_rows=1000, interval_s=30.0)
    capture("demo", RESULT, "r1")
    ticks.now = 29.0
    writer.write_due()
    assert store.batches == {}
    ticks.now = 30.0
    writer.write_due()
    assert store.rows("demo") == 2


def test_rows_that_do_not_fit_the_queue_are_dropped_and_counted() -> None:
    queue, capture, writer, store, metrics, _ = parts(max_rows=3)
    capture("demo", RESULT, "r1")
    capture("demo", RESULT, "r2")  # 2 + 2 > 3
    assert queue.rows == 2
    assert counted(metrics, Counted.CAPTURE_DROPPED_ROWS) == {("demo", "queue_full"): 2.0}
    writer.flush()
    assert store.batches["demo"][0].request_ids == ("r1", "r1")
    capture("demo", RESULT, "r3")  # room again once written
    assert queue.rows == 2


def test_rows_are_grouped_per_served_model() -> None:
    _, capture, writer, store, metrics, _ = parts()
    capture("demo", RESULT, "r1")
    capture("other", RESULT, "r2")
    capture("demo", RESULT, "r3")
    writer.flush()
    assert {name: [b.request_ids for b in batches] for name, batches in store.batches.items()} == {
        "demo": [("r1", "r1", "r3", "r3")],
        "other": [("r2", "r2")],
    }
    assert counted(metrics, Counted.CAPTURED_ROWS) == {("demo",): 4.0, ("other",): 2.0}


def test_rows_are_captured_as_encoded_with_their_labels_version_and_time() -> None:
    rows = rows_of(CONTAINER)
    result = predicted(CONTAINER, rows)
    _, capture, writer, store, *_ = parts()
    capture("demo", result, "abc")
    writer.flush()
    (batch,) = store.batches["demo"]
    served = CONTAINER.slot().current()
    assert batch.features == ("x1", "x2", "colour")
    np.testing.assert_array_equal(batch.matrix, served.encoder.encode(rows).matrix.astype(np.float64))
    assert batch.predictions == tuple(p.label for p in result.predictions)
    assert (set(batch.model_names), set(batch.model_versions)) == ({"demo"}, {"1"})
    assert set(batch.timestamps.tolist()) == {AT.replace(tzinfo=None)}


def test_a_regressor_is_captured_with_its_values() -> None:
    container = serving(TaskType.REGRESSION)
    result = predicted(container, rows_of(container))
    _, capture, writer, store, *_ = parts()
    capture("demo", result, "abc")
    writer.flush()
    (batch,) = store.batches["demo"]
    assert not batch.labelled
    assert isinstance(batch.predictions, np.ndarray)
    assert batch.predictions.tolist() == pytest.approx([p.value for p in result.predictions])


def test_a_failing_store_drops_each_batch_counted_and_alerts_once_until_it_writes_again() -> None:
    queue, capture, _, store, metrics, _ = parts()
    alerter = RecordingAlerter()
    writer = WriteCaptured(queue, store, metrics, alerter)
    store.failing = "No space left on device"
    for k in range(3):
        capture("demo", RESULT, f"r{k}")
        writer.flush()
    assert counted(metrics, Counted.CAPTURE_DROPPED_ROWS) == {("demo", "store_failed"): 6.0}
    (alert,) = alerter.alerts
    assert alert.subject == CAPTURE_FAILING
    assert "No space left on device" in alert.detail
    store.failing = None
    capture("demo", RESULT, "r9")
    writer.flush()
    assert [a.subject for a in alerter.resolved] == [CAPTURE_FAILING]
    assert store.batches["demo"][0].request_ids == ("r9", "r9")


def test_a_feature_named_like_a_column_drops_its_rows_under_its_own_reason_told_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue, capture, _, store, metrics, _ = parts()
    alerter = RecordingAlerter()
    writer = WriteCaptured(queue, store, metrics, alerter)
    clashing = dataclasses.replace(CAPTURED, features=("prediction", "x2", "colour"))
    with caplog.at_level(logging.ERROR):
        for _ in range(2):
            queue.offer(clashing)
            writer.flush()
    capture("demo", RESULT, "r2")
    writer.flush()
    assert counted(metrics, Counted.CAPTURE_DROPPED_ROWS) == {("demo", "feature_named_like_a_column"): 4.0}
    assert [r.getMessage() for r in caplog.records] == [
        "model demo cannot be captured: its features 'prediction' are named like a capture column"
    ]
    assert alerter.alerts == []
    assert store.batches["demo"][0].request_ids == ("r2", "r2")


def test_the_writer_thread_writes_what_it_holds_at_stop() -> None:
    _, capture, writer, store, *_ = parts(batch_rows=1000, interval_s=3600.0)
    writer.start()
    capture("demo", RESULT, "r1")
    writer.stop()
    assert store.rows("demo") == 2


def test_the_writer_thread_writes_a_full_batch_without_waiting_for_stop() -> None:
    _, capture, writer, store, *_ = parts(batch_rows=2, interval_s=3600.0)
    writer.start()
    try:
        capture("demo", RESULT, "r1")
        for _ in range(500):  # until the thread has written it (a deadline, not a timing)
            if store.rows("demo"):
                break
            asyncio.run(asyncio.sleep(0.01))
        assert store.rows("demo") == 2
    finally:
        writer.stop()


def test_captured_rows_refuse_a_feature_named_like_an_answer_column() -> None:
    with pytest.raises(ValueError, match="prediction"):
        CapturedRows(
            ("prediction",),
            np.zeros((1, 1)),
            ("yes",),
            ("demo",),
            ("1",),
            ("r",),
            np.array(["2026-01-01"], dtype="datetime64[us]"),
        )


@pytest.mark.parametrize(
    ("uri", "message"),
    [("gs://bucket/x", "local directory or s3://"), ("s3://", "names no bucket"), ("s3:///x", "no bucket")],
)
def test_a_capture_uri_that_is_neither_local_nor_s3_is_refused(uri: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"PREDICTOR_CAPTURE_URI: .*{message}"):
        load_settings(capture_uri=uri)


def test_capture_is_off_without_a_uri_and_with_an_empty_one() -> None:
    assert not load_settings().capture.enabled
    assert load_settings(capture_uri=" ").capture.capture_uri is None
    assert serving().write_captured() is None
    assert serving().capture_requests() is None
