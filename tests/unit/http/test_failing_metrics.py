"""A failing metrics backend never fails or holds up a prediction: a Prometheus recorder that
raises, a sink whose publish hangs, and PutMetricData to an endpoint that never answers, each
while the app's flush loop runs (the app's lifespan, as served)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient

from predictor.adapters.aws.cloudwatch import CloudWatchMetricsSink, client_config
from predictor.adapters.memory.metrics import RecordingMetricsRecorder
from predictor.container import Container
from predictor.domain.ports import Counted, Metric, MetricsSink
from tests.aws_metrics import NAMESPACE, fake_aws_env, silent_endpoint
from tests.unit.http.conftest import AUTH, row, serve, trained_container

# Generous: the machine is shared; what is asserted is that the predictions complete at all.
PATIENCE_S = 60.0
FLUSH_S = 0.05


class _RaisingRecorder(RecordingMetricsRecorder):
    def observe_request(self, route: str, status: int, latency_ms: float, model: str, version: str) -> None:
        raise RuntimeError("the metrics backend is gone")

    def count(self, what: Counted, amount: float = 1.0, **labels: str) -> None:
        raise RuntimeError("the metrics backend is gone")

    def serving(self, model: str, version: str) -> None:
        raise RuntimeError("the metrics backend is gone")


class _HangingSink(MetricsSink):
    """Blocks in ``publish`` until released; says when a publish has begun."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def publish(self, metrics: Sequence[Metric]) -> None:
        self.entered.set()
        self.release.wait()


def _predictions_complete(client: TestClient, count: int) -> list[int]:
    """``count`` predictions, one after another, in a thread given PATIENCE_S to finish them."""
    statuses: list[int] = []

    def predict() -> None:
        for _ in range(count):
            statuses.append(client.post("/predict", json={"instances": [row()]}, headers=AUTH).status_code)

    worker = threading.Thread(target=predict, daemon=True)
    worker.start()
    worker.join(timeout=PATIENCE_S)
    assert not worker.is_alive(), "predictions were held up by the metrics backend"
    return statuses


@contextmanager
def _served_with(
    sink: MetricsSink | None = None, recorder: RecordingMetricsRecorder | None = None
) -> Iterator[TestClient]:
    container: Container = trained_container(metrics_flush_s=FLUSH_S, prometheus_enabled=recorder is not None)
    if sink is not None:
        container.adapters.metrics.override(providers.Object(sink))
    if recorder is not None:
        container.adapters.prometheus.override(providers.Object(recorder))
    with serve(container) as client:
        yield client


def test_a_recorder_that_raises_fails_no_prediction() -> None:
    with _served_with(recorder=_RaisingRecorder()) as client:
        assert _predictions_complete(client, 5) == [200] * 5


def test_a_sink_that_hangs_holds_up_no_prediction() -> None:
    sink = _HangingSink()
    try:
        with _served_with(sink=sink) as client:
            assert client.post("/predict", json={"instances": [row()]}, headers=AUTH).status_code == 200
            assert sink.entered.wait(PATIENCE_S), "the flush loop never published"
            assert _predictions_complete(client, 20) == [200] * 20  # while the flush is stuck
            sink.release.set()  # the shutdown flush publishes too
    finally:
        sink.release.set()


def test_put_metric_data_that_never_answers_holds_up_no_prediction(monkeypatch: pytest.MonkeyPatch) -> None:
    accepted = threading.Event()
    with silent_endpoint(accepted) as url:
        fake_aws_env(monkeypatch, url)
        sink = CloudWatchMetricsSink(NAMESPACE, config=client_config(0.5, 1.0, 2))
        with _served_with(sink=sink) as client:
            assert client.post("/predict", json={"instances": [row()]}, headers=AUTH).status_code == 200
            assert accepted.wait(PATIENCE_S), "the flush loop never called PutMetricData"
            assert _predictions_complete(client, 20) == [200] * 20  # while PutMetricData waits
