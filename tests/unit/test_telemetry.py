"""Request metrics: cheap counting on the request path, one batch per flush."""

from __future__ import annotations

import json
import logging

import pytest

from predictor.adapters.logs.metrics import EmfMetricsSink
from predictor.domain.ports import Metric
from predictor.services.serving.telemetry import RequestMetrics


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


def test_the_emf_sink_writes_one_cloudwatch_document_per_route_and_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics = RequestMetrics()
    metrics.observe("/predict", 200, 1.5)
    metrics.observe("/predict", 401, 0.3)
    with caplog.at_level(logging.INFO, logger="predictor.metrics"):
        EmfMetricsSink().publish(metrics.drain())
    documents = [json.loads(r.getMessage()) for r in caplog.records if r.name == "predictor.metrics"]
    assert [(d["route"], d["status"], d["requests"]) for d in documents] == [
        ("/predict", "2xx", 1),
        ("/predict", "4xx", 1),
    ]
    (directive,) = documents[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "predictor"
    assert directive["Dimensions"] == [["route", "status"]]
    assert {m["Name"] for m in directive["Metrics"]} == {
        "requests",
        "latency_p50",
        "latency_p99",
        "latency_max",
    }
