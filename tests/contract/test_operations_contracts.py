"""The contracts of the ports every process needs: ``SecretStore``, ``Alerter``, ``MetricsSink``
and ``MetricsRecorder``, each run against its fake and each real adapter (CloudWatch on moto's
``mock_aws``, and on loopback endpoints that refuse or never answer; Prometheus in process)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from moto import mock_aws
from prometheus_client.parser import text_string_to_metric_families

from predictor.adapters.aws.cloudwatch import CloudWatchMetricsSink, client_config
from predictor.adapters.environment.secrets import EnvironmentSecretStore
from predictor.adapters.logs.alerts import LogAlerter
from predictor.adapters.logs.metrics import EmfMetricsSink, NullMetricsSink
from predictor.adapters.memory import RecordingAlerter, RecordingMetricsSink, StaticSecretStore
from predictor.adapters.memory.metrics import RecordingMetricsRecorder
from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder
from predictor.domain.alerts import Alert
from predictor.domain.ports import Alerter, Counted, Metric, MetricsRecorder, MetricsSink, SecretStore
from tests.aws_metrics import (
    NAMESPACE,
    closed_endpoint,
    cloudwatch_client,
    fake_aws_env,
    listed,
    silent_endpoint,
    statistics,
)

LIST_NAME = "PREDICTOR_CONTRACT_SECRET"
# A secret's values, put in place by each store's own means.
SetSecret = Callable[[Sequence[str] | None], SecretStore]


@pytest.fixture(params=["static", "environment"])
def secrets(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> SetSecret:
    def static(values: Sequence[str] | None) -> SecretStore:
        return StaticSecretStore({} if values is None else {LIST_NAME: values})

    def environment(values: Sequence[str] | None) -> SecretStore:
        if values is None:
            monkeypatch.delenv(LIST_NAME, raising=False)
        else:
            monkeypatch.setenv(LIST_NAME, ",".join(values))
        return EnvironmentSecretStore()

    return static if request.param == "static" else environment


def test_a_secret_reads_as_its_values_in_order(secrets: SetSecret) -> None:
    store = secrets(["key-one", "key-two", "key-three"])
    assert list(store.get_list(LIST_NAME)) == ["key-one", "key-two", "key-three"]


def test_an_unset_secret_is_an_empty_list(secrets: SetSecret) -> None:
    assert list(secrets(None).get_list(LIST_NAME)) == []


def test_changing_the_returned_list_changes_no_secret(secrets: SetSecret) -> None:
    store = secrets(["key-one"])
    values = store.get_list(LIST_NAME)
    if isinstance(values, list):
        values.append("intruder")
    assert list(store.get_list(LIST_NAME)) == ["key-one"]


class _Raising(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        raise RuntimeError("the log destination is gone")


def _failing_logger(name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers = [_Raising()]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


@pytest.fixture(params=["recording", "log", "log-failing"])
def alerter(request: pytest.FixtureRequest) -> Alerter:
    if request.param == "recording":
        return RecordingAlerter()
    if request.param == "log-failing":
        return LogAlerter(_failing_logger("predictor.contract.alerts"))
    return LogAlerter()


@pytest.mark.parametrize(
    "context",
    [{}, {"alias": "production"}, {"msg": "x", "name": "y", "args": "z"}, {"reason": "é ✓"}],
    ids=["none", "plain", "log-record-names", "non-ascii"],
)
def test_an_alert_and_its_resolution_never_raise(alerter: Alerter, context: dict[str, str]) -> None:
    alert = Alert("registry unreachable", "still serving version 3", model="demo", context=context)
    alerter.alert(alert)
    alerter.resolve(alert)


class _BrokenStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("stdout is closed")


# A sink, and how to read back what reached its backend (None: a sink that keeps nothing).
ReadBack = Callable[[], dict[tuple[str, tuple[tuple[str, str], ...]], float]] | None


def _emf_read_back(out: io.StringIO) -> ReadBack:
    def read() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for line in out.getvalue().splitlines():
            document = json.loads(line)
            (directive,) = document["_aws"]["CloudWatchMetrics"]
            dims = tuple(sorted((name, document[name]) for name in directive["Dimensions"][0]))
            for metric in directive["Metrics"]:
                key = (metric["Name"], dims)
                found[key] = found.get(key, 0.0) + document[metric["Name"]]
        return found

    return read


def _cloudwatch_read_back(client: Any) -> ReadBack:
    def read() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return {(name, dims): statistics(client, name, dict(dims))["Sum"] for name, dims in listed(client)}

    return read


@pytest.fixture(
    params=[
        "recording",
        "null",
        "emf",
        "emf-failing",
        "cloudwatch",
        "cloudwatch-refused",
        "cloudwatch-silent",
    ]
)
def sink_and_read_back(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[MetricsSink, ReadBack]]:
    kind = request.param
    if kind == "recording":
        recording = RecordingMetricsSink()

        def read() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
            found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
            for m in recording.metrics:
                key = (m.name, tuple(sorted(m.dimensions.items())))
                found[key] = found.get(key, 0.0) + m.value
            return found

        yield recording, read
    elif kind == "null":
        yield NullMetricsSink(), None
    elif kind.startswith("emf"):
        out = _BrokenStream() if kind == "emf-failing" else io.StringIO()
        yield EmfMetricsSink(NAMESPACE, stream=out), None if kind == "emf-failing" else _emf_read_back(out)
    elif kind == "cloudwatch":
        fake_aws_env(monkeypatch)
        with mock_aws():
            yield CloudWatchMetricsSink(NAMESPACE), _cloudwatch_read_back(cloudwatch_client())
    elif kind == "cloudwatch-refused":
        fake_aws_env(monkeypatch, closed_endpoint())
        yield CloudWatchMetricsSink(NAMESPACE, config=client_config(0.5, 0.5, 2)), None
    else:
        with silent_endpoint() as url:
            fake_aws_env(monkeypatch, url)
            yield CloudWatchMetricsSink(NAMESPACE, config=client_config(0.5, 0.5, 2)), None


BATCHES = {
    "empty": [],
    "one": [Metric("requests", 1.0, "Count", {"route": "/predict"})],
    "mixed": [
        Metric("requests", 3.0, "Count", {"route": "/predict", "status": "2xx"}),
        Metric("latency_p50", 0.5, "Milliseconds", {"route": "/predict", "status": "2xx"}),
        Metric(
            "latency", 0.9, "Milliseconds", {"route": "/predict", "status": "2xx"}, (0.1, 0.9), (2.0, 1.0)
        ),
        Metric("requests", 1.0, "Count", {"route": "/invocations", "status": "4xx"}),
        Metric("rows", float("nan"), "Count"),
        Metric("model_in_use", 1.0, "Count", {"model": "", "version": ""}),
    ],
}


@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
def test_publishing_a_batch_never_raises(
    sink_and_read_back: tuple[MetricsSink, ReadBack], batch: list[Metric]
) -> None:
    sink, _ = sink_and_read_back
    sink.publish(batch)
    sink.publish(batch)


def test_what_is_published_is_what_the_backend_holds(
    sink_and_read_back: tuple[MetricsSink, ReadBack],
) -> None:
    sink, read_back = sink_and_read_back
    sink.publish(BATCHES["mixed"])
    sink.publish([Metric("requests", 2.0, "Count", {"route": "/predict", "status": "2xx"})])
    if read_back is None:
        return  # a sink that keeps nothing, or a backend that is down: publishing returned
    held = read_back()
    assert held[("requests", (("route", "/predict"), ("status", "2xx")))] == 5.0
    assert held[("requests", (("route", "/invocations"), ("status", "4xx")))] == 1.0
    assert held[("latency_p50", (("route", "/predict"), ("status", "2xx")))] == 0.5


# MetricsRecorder: the running totals, read back as (event, labels) -> total.
RecorderTotals = Callable[[], dict[tuple[str, tuple[tuple[str, str], ...]], float]]


@pytest.fixture(params=["recording", "prometheus"])
def recorder(request: pytest.FixtureRequest) -> tuple[MetricsRecorder, RecorderTotals]:
    if request.param == "recording":
        recording = RecordingMetricsRecorder()

        def recorded() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
            return {(what.value, labels): n for (what, labels), n in recording.counts.items()}

        return recording, recorded
    prometheus = PrometheusMetricsRecorder()

    def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        _, body = prometheus.scrape()
        return {
            (
                s.name.removeprefix("predictor_").removesuffix("_total"),
                tuple(sorted(s.labels.items())),
            ): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples
            if s.name.endswith("_total")
        }

    return prometheus, scraped


def test_every_event_is_counted_under_its_labels(recorder: tuple[MetricsRecorder, RecorderTotals]) -> None:
    sink, totals = recorder
    sink.count(Counted.ROWS_PREDICTED, 3, model="demo", version="2")
    sink.count(Counted.ROWS_PREDICTED, 4, model="demo", version="2")
    sink.count(Counted.REJECTED_CONNECTIONS, reason="header_timeout")
    sink.count(Counted.MODEL_FALLBACKS, model="demo", version="1", origin="cache")
    counted = totals()
    assert counted[("rows_predicted", (("model", "demo"), ("version", "2")))] == 7
    assert counted[("rejected_connections", (("reason", "header_timeout"),))] == 1
    assert counted[("model_fallbacks", (("model", "demo"), ("origin", "cache"), ("version", "1")))] == 1


@pytest.mark.parametrize("what", list(Counted))
def test_recording_never_raises(recorder: tuple[MetricsRecorder, RecorderTotals], what: Counted) -> None:
    sink, _ = recorder
    sink.count(
        what, 1.0, model="demo", version="1", origin="cache", reason="refused_at_cap", route="/predict"
    )
    sink.observe_request("/predict", 200, 1.5, "demo", "1")
    sink.observe_request("unmatched", 404, 0.1, "", "")
    sink.serving("demo", "1")
    sink.serving("demo", "2")
