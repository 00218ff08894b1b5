"""The Alerter contract, run against the recording fake, the log alerter and SnsAlerter on moto
(``mock_aws``, with an SQS queue subscribed to the topic): an alert and its resolution arrive
with their facts, in order, with no secret, and neither call raises."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from moto import mock_aws

from predictor.adapters.aws.sns import SnsAlerter
from predictor.adapters.logs.alerts import LogAlerter
from predictor.adapters.memory import RecordingAlerter
from predictor.domain.alerts import Alert
from predictor.domain.ports import Alerter
from tests.aws import fake_aws_env
from tests.aws_sns import SubscribedQueue

# What arrived, as (state, subject, model, version, error, request id, detail) tuples.
Arrived = list[tuple[str, str, str, str, str, str, str]]


@dataclass
class Subject:
    alerter: Alerter
    arrived: Callable[[], Arrived]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _recording() -> Subject:
    fake = RecordingAlerter()

    def arrived() -> Arrived:
        states = [("firing", a) for a in fake.alerts] + [("resolved", a) for a in fake.resolved]
        return [(s, a.subject, a.model, a.version, a.error, a.request_id, a.detail) for s, a in states]

    return Subject(fake, arrived)


def _logged() -> Subject:
    logger = logging.getLogger("predictor.contract.alerter")
    handler = _Records()
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)

    def arrived() -> Arrived:
        return [
            tuple(
                str(r.__dict__.get(k, ""))
                for k in ("state", "alert", "model", "version", "error", "request_id", "detail")
            )  # type: ignore[misc]
            for r in handler.records
        ]

    return Subject(LogAlerter(logger), arrived)


def _sns(queue: SubscribedQueue) -> Subject:
    alerter = SnsAlerter(queue.topic_arn)

    def arrived() -> Arrived:
        assert alerter.flush(30)
        keys = ("state", "subject", "model", "version", "error", "request_id", "detail")
        return [tuple(d.body[k] for k in keys) for d in queue.delivered()]

    return Subject(alerter, arrived)


@pytest.fixture(params=["recording", "log", "sns"])
def subject(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Subject]:
    if request.param == "recording":
        yield _recording()
    elif request.param == "log":
        yield _logged()
    else:
        fake_aws_env(monkeypatch)
        with mock_aws():
            yield _sns(SubscribedQueue())


OUTAGE = Alert(
    "registry unreachable",
    "the registry cannot be reached; still serving version 3",
    model="demo",
    version="3",
    error="ModelUnavailable",
    request_id="req-1",
    service="predictor",
)


def test_an_alert_and_its_resolution_arrive_in_order_with_their_facts(subject: Subject) -> None:
    subject.alerter.alert(OUTAGE)
    subject.alerter.resolve(OUTAGE)
    facts = ("registry unreachable", "demo", "3", "ModelUnavailable", "req-1", OUTAGE.detail)
    assert subject.arrived() == [("firing", *facts), ("resolved", *facts)]


def test_no_secret_arrives(subject: Subject) -> None:
    leaked = "hunter2-9f8e7d6c5b4a3f2e1d0c9b8a7f6e"
    subject.alerter.alert(
        Alert(
            "model load failed",
            f"cannot reach https://admin:{leaked}@mlflow.internal/ with password={leaked}",
            model="demo",
            context={"api_key": leaked},
        )
    )
    (arrived,) = subject.arrived()
    assert leaked not in repr(arrived)
    assert "[redacted]" in arrived[-1]


@pytest.mark.parametrize(
    "alert",
    [
        Alert("x"),
        Alert("model version refused", "é ✓ \n\t" * 300, model="m" * 300, context={"msg": "x", "name": "y"}),
        Alert("s" * 500, "detail"),
    ],
    ids=["bare", "odd-text", "long-subject"],
)
def test_an_alert_and_a_resolution_never_raise(subject: Subject, alert: Alert) -> None:
    subject.alerter.alert(alert)
    subject.alerter.resolve(alert)
    assert [state for state, *_ in subject.arrived()] == ["firing", "resolved"]
