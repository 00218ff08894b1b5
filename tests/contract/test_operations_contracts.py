"""The contracts of the ports every process needs: ``SecretStore``, ``Alerter`` and
``MetricsSink``, each run against its fake and each real adapter that needs no network."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import pytest

from predictor.adapters.environment.secrets import EnvironmentSecretStore
from predictor.adapters.logs.alerts import LogAlerter
from predictor.adapters.logs.metrics import EmfMetricsSink, NullMetricsSink
from predictor.adapters.memory import RecordingAlerter, RecordingMetricsSink, StaticSecretStore
from predictor.domain.ports import Alerter, Metric, MetricsSink, SecretStore

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
    "fields",
    [{}, {"model": "demo", "version": "3"}, {"msg": "x", "name": "y", "args": "z"}, {"reason": "é ✓"}],
    ids=["none", "plain", "log-record-names", "non-ascii"],
)
def test_an_alert_never_raises(alerter: Alerter, fields: dict[str, str]) -> None:
    alerter.alert("registry unreachable", "still serving version 3", **fields)


@pytest.fixture(params=["recording", "null", "emf", "emf-failing"])
def sink(request: pytest.FixtureRequest) -> MetricsSink:
    if request.param == "recording":
        return RecordingMetricsSink()
    if request.param == "null":
        return NullMetricsSink()
    if request.param == "emf-failing":
        return EmfMetricsSink(logger=_failing_logger("predictor.contract.metrics"))
    return EmfMetricsSink()


BATCHES = {
    "empty": [],
    "one": [Metric("requests", 1.0, "Count", {"route": "/predict"})],
    "mixed": [
        Metric("requests", 3.0, "Count", {"route": "/predict", "status": "2xx"}),
        Metric("latency", 0.5, "Milliseconds", {"route": "/predict", "status": "2xx"}),
        Metric("requests", 1.0, "Count", {"route": "/invocations", "status": "4xx"}),
        Metric("rows", float("nan"), "Count"),
    ],
}


@pytest.mark.parametrize("batch", BATCHES.values(), ids=BATCHES.keys())
def test_publishing_a_batch_never_raises(sink: MetricsSink, batch: list[Metric]) -> None:
    sink.publish(batch)
    sink.publish(batch)
