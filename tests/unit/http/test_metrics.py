"""Every request is counted by route template; the flush publishes one batch to the sink."""

from __future__ import annotations

from predictor.adapters.memory import RecordingMetricsSink
from predictor.entrypoints.http.loading import flush_metrics
from tests.unit.http.conftest import AUTH, row, serve, trained_container


def test_requests_are_counted_by_route_and_published_in_one_batch() -> None:
    container = trained_container()
    with serve(container) as client:
        for _ in range(3):
            assert client.post("/predict", json={"instances": [row()]}, headers=AUTH).status_code == 200
        assert client.post("/predict", json={"instances": [row()]}).status_code == 401
        assert client.get("/no/such/route/42").status_code == 404
        flush_metrics(container)
        sink = container.adapters.metrics()
        assert isinstance(sink, RecordingMetricsSink)
        (batch,) = sink.batches
    counted = {
        (m.dimensions["route"], m.dimensions["status"]): m.value for m in batch if m.name == "requests"
    }
    assert counted[("/predict", "2xx")] == 3
    assert counted[("/predict", "4xx")] == 1
    assert counted[("unmatched", "4xx")] == 1  # unknown paths do not each become a metric


def test_an_idle_interval_publishes_nothing() -> None:
    container = trained_container()
    with serve(container):
        container.request_metrics().drain()
        flush_metrics(container)
    sink = container.adapters.metrics()
    assert isinstance(sink, RecordingMetricsSink)
    assert sink.batches == []
