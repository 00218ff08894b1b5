"""Request metrics: cheap counting on the request path, one batch per flush."""

from __future__ import annotations

import io
import json

import pytest

from predictor.adapters.logs.metrics import EmfMetricsSink
from predictor.adapters.memory.metrics import RecordingMetricsRecorder
from predictor.domain.ports import Counted, Metric
from predictor.services.serving.telemetry import RequestMetrics
from tests.unit.builders import serving


def by_name(metrics: list[Metric], route: str, status: str) -> dict[str, float]:
    return {m.name: m.value for m in metrics if m.dimensions == {"route": route, "status": status}}


def test_requests_are_counted_per_route_and_status_class() -> None:
    metrics = RequestMetrics()
    for latency in (1.0, 2.0, 3.0):
        metrics.observe("/predict", 200, latency)
    metrics.observe("/predict", 400, 0.5)
    metrics.observe("/health/ready", 503, 0.2)
    drained = metrics.drain()
    assert by_name(drained, "/predict", "2xx")["requests"] == 3
    assert by_name(drained, "/predict", "4xx")["requests"] == 1
    assert by_name(drained, "/health/ready", "5xx")["requests"] == 1


def test_latency_percentiles_are_within_a_bucket_of_the_truth() -> None:
    metrics = RequestMetrics()
    for i in range(1, 1001):
        metrics.observe("/predict", 200, i / 10)  # 0.1 … 100 ms
    summary = by_name(metrics.drain(), "/predict", "2xx")
    assert summary["latency_p50"] == pytest.approx(50, rel=0.1)
    assert summary["latency_p99"] == pytest.approx(99, rel=0.1)
    assert summary["latency_max"] == 100


def test_draining_starts_a_new_interval() -> None:
    metrics = RequestMetrics()
    metrics.observe("/predict", 200, 1.0)
    assert metrics.drain()
    assert metrics.drain() == []


def test_the_emf_sink_writes_one_cloudwatch_document_per_route_and_status() -> None:
    metrics = RequestMetrics()
    metrics.observe("/predict", 200, 1.5)
    metrics.observe("/predict", 401, 0.3)
    out = io.StringIO()
    EmfMetricsSink(stream=out, function_name="predictor-fn").publish(metrics.drain())
    documents = [json.loads(line) for line in out.getvalue().splitlines()]
    by_route = [(d["route"], d["status"], d["requests"]) for d in documents if "route" in d]
    assert by_route == [("/predict", "2xx", 1), ("/predict", "4xx", 1)]
    (directive,) = documents[-1]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "predictor"
    assert directive["Dimensions"] == [["route", "status"]]
    # The distribution goes to PutMetricData; EMF gets its percentiles.
    assert {m["Name"] for m in directive["Metrics"]} == {
        "requests",
        "latency_p50",
        "latency_p99",
        "latency_max",
    }


def test_the_first_emf_batch_of_a_process_carries_one_cold_start() -> None:
    out = io.StringIO()
    sink = EmfMetricsSink(stream=out, function_name="predictor-fn")
    sink.publish([Metric("requests", 1.0, "Count", {"route": "/predict"})])
    sink.publish([Metric("requests", 1.0, "Count", {"route": "/predict"})])
    cold = [json.loads(line) for line in out.getvalue().splitlines() if "ColdStart" in line]
    assert len(cold) == 1
    assert cold[0]["ColdStart"] == 1
    assert cold[0]["function_name"] == "predictor-fn"
    assert cold[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["function_name"]]


def test_an_emf_document_holds_at_most_100_metrics() -> None:
    out = io.StringIO()
    batch = [Metric(f"m{i:03d}", float(i), "Count", {"route": "/predict"}) for i in range(250)]
    EmfMetricsSink(stream=out).publish(batch)
    documents = [json.loads(line) for line in out.getvalue().splitlines()]
    sizes = [len(d["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for d in documents if "route" in d]
    assert sizes == [100, 100, 50]
    values = {name: d[name] for d in documents for name in d if name.startswith("m")}
    assert values == {f"m{i:03d}": float(i) for i in range(250)}


def test_a_value_json_cannot_carry_is_left_out_of_emf() -> None:
    out = io.StringIO()
    EmfMetricsSink(stream=out).publish(
        [Metric("rows", float("nan"), "Count"), Metric("requests", 2.0, "Count", {"route": "/x"})]
    )
    documents = [json.loads(line) for line in out.getvalue().splitlines()]  # strict JSON: no NaN
    assert not any("rows" in d for d in documents)
    assert any(d.get("requests") == 2.0 for d in documents)


def test_events_are_counted_by_their_labels_and_drained_with_the_version_in_use() -> None:
    container = serving()
    metrics = RequestMetrics(container.slot())
    metrics.count(Counted.ROWS_PREDICTED, 3, model="demo", version="1")
    metrics.count(Counted.ROWS_PREDICTED, 2, model="demo", version="1")
    metrics.count(Counted.REJECTED_CONNECTIONS, reason="header_timeout")
    metrics.observe("/predict", 429, 0.2)
    drained = {(m.name, tuple(sorted(m.dimensions.items()))): m.value for m in metrics.drain()}
    assert drained[("rows_predicted", (("model", "demo"), ("version", "1")))] == 5
    assert drained[("rejected_connections", (("reason", "header_timeout"),))] == 1
    assert drained[("rate_limited_requests", (("route", "/predict"),))] == 1
    served = container.slot().current().version
    assert drained[("model_in_use", (("model", served.name), ("version", served.version)))] == 1


def test_the_latency_distribution_counts_every_request_once() -> None:
    metrics = RequestMetrics()
    for i in range(1, 501):
        metrics.observe("/predict", 200, i / 10)
    (latency,) = [m for m in metrics.drain() if m.name == "latency"]
    assert sum(latency.counts) == 500
    assert len(latency.values) == len(latency.counts) <= 150
    assert list(latency.values) == sorted(latency.values)
    assert max(latency.values) == 50


class _Broken(RecordingMetricsRecorder):
    def observe_request(self, route: str, status: int, latency_ms: float, model: str, version: str) -> None:
        raise RuntimeError("the metrics backend is gone")

    def count(self, what: Counted, amount: float = 1.0, **labels: str) -> None:
        raise RuntimeError("the metrics backend is gone")

    def serving(self, model: str, version: str) -> None:
        raise RuntimeError("the metrics backend is gone")


def test_a_recorder_that_raises_changes_nothing_for_the_caller() -> None:
    container = serving()
    working = RecordingMetricsRecorder()
    metrics = RequestMetrics(container.slot(), recorders=(_Broken(), working))
    metrics.observe("/predict", 200, 1.0)
    metrics.count(Counted.ROWS_PREDICTED, 4, model="demo", version="1")
    assert [r.status for r in working.requests] == [200]
    assert working.total(Counted.ROWS_PREDICTED) == 4
    assert by_name(metrics.drain(), "/predict", "2xx")["requests"] == 1
