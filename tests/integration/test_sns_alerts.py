"""Alerts over SNS on moto's server (loopback), with an SQS queue subscribed to the topic, as a
subscriber in AWS would get them.

The real container (``PREDICTOR_ALERTS=sns``) reads its API keys from Secrets Manager on one
moto server, and publishes alerts to SNS on another. The Secrets Manager server goes away for
fifty reads and comes back; then a burst of 5xx answers crosses the error-rate threshold and
successes bring it back down. Each trouble reaches the queue as one alert and one "resolved",
with the service, the error's class and the request id, and with no key in any message.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from dependency_injector import providers
from moto.server import ThreadedMotoServer

from predictor.adapters.aws.sns import SnsAlerter
from predictor.adapters.memory import FixedClock
from predictor.config import SecretStoreKind, load_settings
from predictor.container import RealAdapters, build_container
from tests.aws import fake_aws_env, fresh_moto, server_env
from tests.aws_secrets import put_versions, secrets_client
from tests.aws_sns import SubscribedQueue

pytestmark = pytest.mark.integration

NAME = "predictor/alerting-keys"
KEY = "alerting-api-key-0123456789abcdef"
TTL_S = 60.0


def started(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


@pytest.fixture
def sns_endpoint() -> Iterator[str]:
    """SNS's server; moto's backends (which the Secrets Manager server shares, and keeps when it
    is restarted) are empty when the test starts and when it ends."""
    with fresh_moto():
        server, url = started()
        try:
            yield url
        finally:
            server.stop()


def test_an_outage_and_an_error_burst_each_send_one_alert_and_one_resolved(
    monkeypatch: pytest.MonkeyPatch, sns_endpoint: str
) -> None:
    secrets_server, secrets_url = started()
    fake_aws_env(monkeypatch, secrets_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", sns_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", sns_endpoint)
    queue = SubscribedQueue(sns_endpoint)
    put_versions(secrets_client(secrets_url), NAME, [json.dumps({"api_keys": [KEY], "admin_keys": []})])
    settings = load_settings(
        profile="test",
        alerts="sns",
        alerts_topic_arn=queue.topic_arn,
        alerts_service="predictor-it",
        secret_store=SecretStoreKind.AWS,
        keys_secret_id=NAME,
        keys_ttl_s=TTL_S,
        keys_retry_s=1.0,
        secrets_timeout_s=0.5,
        error_rate_threshold=0.2,
        error_rate_window_s=60,
        error_rate_min_requests=20,
    )
    container = build_container(settings, RealAdapters)
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    container.adapters.clock.override(providers.Object(clock))
    keyrings = container.keyrings()
    assert keyrings.current().clients

    secrets_port = int(secrets_url.rsplit(":", 1)[1])
    secrets_server.stop()  # every read is EndpointConnectionError now
    try:
        for _ in range(50):
            clock.at += timedelta(seconds=TTL_S)
            assert keyrings.current().clients  # the keys last read stay in force
        secrets_server, _ = started(secrets_port)  # back, on the same port
        clock.at += timedelta(seconds=TTL_S)
        keyrings.current()
    finally:
        secrets_server.stop()

    metrics = container.request_metrics()
    for i in range(30):
        metrics.observe("/v1/predict", 503, 2.0, f"burst-{i}")
        clock.at += timedelta(seconds=0.5)
    for i in range(200):
        metrics.observe("/v1/predict", 200, 2.0, f"calm-{i}")
        clock.at += timedelta(seconds=0.5)

    alerter = container.adapters.alerter()
    assert isinstance(alerter, SnsAlerter)
    assert alerter.flush(60)
    delivered = queue.delivered()
    assert [(d.body["subject"], d.body["state"]) for d in delivered] == [
        ("secret store unreachable", "firing"),
        ("secret store unreachable", "resolved"),
        ("error rate high", "firing"),
        ("error rate high", "resolved"),
    ]
    outage, _, burst, _ = delivered
    assert outage.subject == "[predictor-it] ALERT: secret store unreachable"
    assert (outage.body["service"], outage.body["error"]) == ("predictor-it", "SecretStoreUnavailable")
    assert "EndpointConnectionError" in outage.body["reason"]
    assert outage.body["NewStateValue"] == "ALARM"
    assert outage.attributes == {
        "state": "firing",
        "subject": "secret store unreachable",
        "service": "predictor-it",
    }
    assert burst.body["request_id"].startswith("burst-")
    assert burst.body["error"] == "ServerError"
    assert delivered[3].body["NewStateValue"] == "OK"
    raw = json.dumps([d.body for d in delivered])
    assert KEY not in raw
    assert "testing" not in raw  # the credentials in the environment


ALERT_THEN_EXIT = """
import sys
from predictor.adapters.aws.sns import SnsAlerter
from predictor.domain.alerts import Alert

alert = Alert("model load failed", "no model", model="demo", service="exiting")
SnsAlerter(sys.argv[1]).alert(alert)
"""


def test_what_is_queued_at_exit_is_sent(monkeypatch: pytest.MonkeyPatch, sns_endpoint: str) -> None:
    fake_aws_env(monkeypatch, sns_endpoint)
    queue = SubscribedQueue(sns_endpoint)
    env = server_env(sns_endpoint)
    subprocess.run([sys.executable, "-c", ALERT_THEN_EXIT, queue.topic_arn], env=env, check=True, timeout=120)
    assert [d.subject for d in queue.delivered()] == ["[exiting] ALERT: model load failed (demo)"]
