"""CloudWatchMetricsSink on moto's ``mock_aws``: batches within PutMetricData's limits, the
latency distribution as Values/Counts, read back through list_metrics and statistics; and
faults (refused, throttled, denied, an endpoint that never answers) that never raise."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from predictor.adapters.aws.cloudwatch import MAX_DATUMS_PER_CALL, CloudWatchMetricsSink, client_config
from predictor.domain.ports import Metric
from predictor.services.serving.telemetry import RequestMetrics
from tests.aws_metrics import (
    NAMESPACE,
    closed_endpoint,
    cloudwatch_client,
    fake_aws_env,
    listed,
    silent_endpoint,
    statistics,
)

QUICK = client_config(0.5, 0.5, 2)


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fake_aws_env(monkeypatch)
    with mock_aws():
        yield cloudwatch_client()


def _counting_calls(client: Any) -> list[int]:
    """The number of data in each PutMetricData call ``client`` makes (botocore's own event hook)."""
    sizes: list[int] = []

    def before_call(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["MetricData"]))

    client.meta.events.register("provide-client-params.cloudwatch.PutMetricData", before_call)
    return sizes


def test_a_big_batch_goes_in_calls_of_at_most_1000_data(cloudwatch: Any) -> None:
    client = cloudwatch_client()
    sizes = _counting_calls(client)
    batch = [Metric(f"m{i:04d}", float(i), "Count", {"route": "/predict"}) for i in range(2500)]
    CloudWatchMetricsSink(NAMESPACE, client=client).publish(batch)
    assert sizes == [MAX_DATUMS_PER_CALL, MAX_DATUMS_PER_CALL, 500]
    assert len(listed(cloudwatch)) == 2500
    assert statistics(cloudwatch, "m2499", {"route": "/predict"})["Sum"] == 2499


def test_the_latency_histogram_arrives_as_values_and_counts(cloudwatch: Any) -> None:
    metrics = RequestMetrics()
    for i in range(1, 201):
        metrics.observe("/predict", 200, i / 4)  # 0.25 … 50 ms
    metrics.observe("/predict", 500, 3.0)
    CloudWatchMetricsSink(NAMESPACE).publish(metrics.drain())
    ok = statistics(cloudwatch, "latency", {"route": "/predict", "status": "2xx"})
    assert ok["SampleCount"] == 200  # one sample per request, not one per bucket
    assert ok["Maximum"] == 50
    assert statistics(cloudwatch, "requests", {"route": "/predict", "status": "5xx"})["Sum"] == 1


def test_a_distribution_of_more_than_150_values_is_split(cloudwatch: Any) -> None:
    client = cloudwatch_client()
    sizes = _counting_calls(client)
    values = tuple(float(v) for v in range(1, 401))
    wide = Metric("latency", 400.0, "Milliseconds", {"route": "/x"}, values, (1.0,) * 400)
    CloudWatchMetricsSink(NAMESPACE, client=client).publish([wide])
    assert sizes == [3]  # 150 + 150 + 100 values
    assert statistics(cloudwatch, "latency", {"route": "/x"})["SampleCount"] == 400


def test_labels_with_nothing_to_say_are_left_out(cloudwatch: Any) -> None:
    CloudWatchMetricsSink(NAMESPACE).publish(
        [Metric("model_in_use", 1.0, "Count", {"model": "demo", "version": ""})]
    )
    assert listed(cloudwatch) == {("model_in_use", (("model", "demo"),))}


@pytest.mark.parametrize("code", ["Throttling", "AccessDenied", "InvalidParameterValue"])
def test_a_refusal_drops_the_batch_logs_its_code_and_raises_nothing(
    cloudwatch: Any, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = cloudwatch_client()
    sink = CloudWatchMetricsSink(NAMESPACE, client=client)
    with Stubber(client) as stub, caplog.at_level(logging.WARNING, "predictor.adapters.aws.cloudwatch"):
        stub.add_client_error("put_metric_data", service_error_code=code, http_status_code=400)
        sink.publish([Metric("requests", 1.0, "Count", {"route": "/predict"})])
    (record,) = [r for r in caplog.records if r.name == "predictor.adapters.aws.cloudwatch"]
    assert record.__dict__["error_code"] == code
    assert record.__dict__["dropped"] == 1
    # The sink goes on working once the backend does.
    sink.publish([Metric("requests", 2.0, "Count", {"route": "/predict"})])
    assert statistics(cloudwatch, "requests", {"route": "/predict"})["Sum"] == 2


def test_no_secret_reaches_the_log_of_a_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake_aws_env(monkeypatch, closed_endpoint())
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "never-log-this-secret-value")
    with caplog.at_level(logging.DEBUG, "predictor"):
        CloudWatchMetricsSink(NAMESPACE, config=QUICK).publish([Metric("requests", 1.0, "Count")])
    assert caplog.records
    assert "never-log-this-secret-value" not in caplog.text


def test_no_region_is_a_failed_flush_not_a_failed_service(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake_aws_env(monkeypatch)
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with caplog.at_level(logging.WARNING, "predictor.adapters.aws.cloudwatch"):
        CloudWatchMetricsSink(NAMESPACE, config=QUICK).publish([Metric("requests", 1.0, "Count")])
    assert [r.__dict__["error_type"] for r in caplog.records] == ["NoRegionError"]


def _finishes(publish: threading.Thread, within_s: float) -> bool:
    publish.start()
    publish.join(timeout=within_s)
    return not publish.is_alive()


def test_an_endpoint_that_never_answers_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    with silent_endpoint() as url:
        fake_aws_env(monkeypatch, url)
        sink = CloudWatchMetricsSink(NAMESPACE, config=QUICK)
        batch = [Metric("requests", 1.0, "Count", {"route": "/predict"})]
        # Bounded by the timeouts and attempts; generous, as the machine is shared.
        assert _finishes(threading.Thread(target=sink.publish, args=(batch,)), within_s=30)


def test_a_refused_connection_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws_env(monkeypatch, closed_endpoint())
    sink = CloudWatchMetricsSink(NAMESPACE, config=QUICK)
    batch = [Metric("requests", 1.0, "Count", {"route": "/predict"})]
    assert _finishes(threading.Thread(target=sink.publish, args=(batch,)), within_s=30)
