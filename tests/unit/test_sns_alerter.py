"""SnsAlerter's faults (botocore's Stubber and loopback endpoints): a refusal, throttling, an
endpoint that never answers and one that refuses connections each become a log line naming the
error, never an exception; ``alert`` returns while a publish is still in flight; a full queue
drops alerts; no secret reaches a log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from predictor.adapters.aws.cloudwatch import client_config
from predictor.adapters.aws.sns import SnsAlerter, subject_line
from predictor.domain.alerts import Alert, AlertState
from predictor.domain.errors import AlertUndelivered
from tests.aws import REGION, fake_aws_env
from tests.aws_metrics import closed_endpoint, silent_endpoint
from tests.aws_sns import SubscribedQueue

QUICK = client_config(0.5, 0.5, 2)
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:predictor-alerts"
OUTAGE = Alert(
    "registry unreachable", "still serving version 3", model="demo", version="3", service="predictor"
)
LOGGER = "predictor.adapters.aws.sns"


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[SubscribedQueue]:
    fake_aws_env(monkeypatch)
    with mock_aws():
        yield SubscribedQueue()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno >= logging.WARNING]


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling", "AuthorizationError", "NotFound"])
def test_a_refusal_is_a_domain_error_inside_and_a_log_line_outside(
    queue: SubscribedQueue, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    client: Any = boto3.client("sns", region_name=REGION)
    alerter = SnsAlerter(queue.topic_arn, client=client)
    with Stubber(client) as stub:
        stub.add_client_error("publish", service_error_code=code, http_status_code=403)
        with pytest.raises(AlertUndelivered, match=code):
            alerter.publish(OUTAGE, AlertState.FIRING)
        stub.add_client_error("publish", service_error_code=code, http_status_code=403)
        with caplog.at_level(logging.WARNING, LOGGER):
            alerter.alert(OUTAGE)  # raises nothing
            assert alerter.flush(30)
    assert warnings(caplog) == [f"SNS refused an alert ({code}); it is dropped"]
    # Once SNS answers again, alerts go through.
    alerter.resolve(OUTAGE)
    assert alerter.flush(30)
    assert [d.attributes["state"] for d in queue.delivered()] == ["resolved"]


def test_an_endpoint_that_refuses_connections_is_logged_and_never_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake_aws_env(monkeypatch, "http://127.0.0.1:9")  # the discard port: nothing listens there
    alerter = SnsAlerter(TOPIC_ARN, config=QUICK)
    with caplog.at_level(logging.WARNING, LOGGER):
        alerter.alert(OUTAGE)
        alerter.resolve(OUTAGE)
        assert alerter.flush(60)  # bounded by the timeouts and attempts; generous on a shared host
    assert warnings(caplog) == ["SNS could not be reached (EndpointConnectionError); an alert is dropped"] * 2


def test_an_alert_returns_while_its_publish_hangs_and_the_hang_times_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    accepted = threading.Event()
    with silent_endpoint(accepted) as url, caplog.at_level(logging.WARNING, LOGGER):
        fake_aws_env(monkeypatch, url)
        alerter = SnsAlerter(TOPIC_ARN, config=QUICK)
        alerter.alert(OUTAGE)
        assert accepted.wait(30)  # the publish has reached the endpoint ...
        assert not alerter.flush(0)  # ... and is still waiting on it: alert() did not
        assert alerter.flush(60)
    assert warnings(caplog) == ["SNS could not be reached (ReadTimeoutError); an alert is dropped"]


def test_a_full_queue_drops_alerts_with_one_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    accepted = threading.Event()
    with silent_endpoint(accepted) as url, caplog.at_level(logging.WARNING, LOGGER):
        fake_aws_env(monkeypatch, url)
        alerter = SnsAlerter(TOPIC_ARN, config=QUICK, queue_size=2)
        alerter.alert(OUTAGE)
        assert accepted.wait(30)  # the first is being sent; two more fill the queue
        for _ in range(100):
            alerter.alert(OUTAGE)
        assert alerter.flush(90)
    assert warnings(caplog).count("the SNS alert queue is full; alerts are dropped") == 1


def test_no_secret_reaches_the_log_of_a_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake_aws_env(monkeypatch, closed_endpoint())
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "never-log-this-secret-value")
    with caplog.at_level(logging.DEBUG, "predictor"):
        alerter = SnsAlerter(TOPIC_ARN, config=QUICK)
        alerter.alert(Alert("model load failed", "token=never-log-this-either-1234", model="demo"))
        assert alerter.flush(60)
    assert caplog.records
    assert "never-log-this" not in caplog.text


def test_close_sends_what_is_queued_then_stops(queue: SubscribedQueue) -> None:
    alerter = SnsAlerter(queue.topic_arn)
    alerter.alert(OUTAGE)
    alerter.close()
    assert [d.subject for d in queue.delivered()] == ["[predictor] ALERT: registry unreachable (demo)"]


def test_a_subject_is_short_printable_ascii() -> None:
    line = subject_line(Alert("é\nbroken" * 50, model="demo"), AlertState.RESOLVED)
    assert len(line) <= 100
    assert all(" " <= c <= "~" for c in line)
    assert line.startswith("[predictor] RESOLVED: ?")
