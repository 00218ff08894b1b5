"""Alerts to an SNS topic, from a background thread: alerting never blocks or fails a request.

``alert`` and ``resolve`` put the alert on a bounded queue and return; one daemon thread
publishes it. Each message goes in two forms (``MessageStructure=json``): email subscribers get
a few lines of text, every other protocol (SQS, Lambda, HTTPS such as PagerDuty) a JSON object
with the alert's facts and the fields of a CloudWatch alarm notification (``AlarmName``,
``NewStateValue`` ``ALARM`` or ``OK``), which PagerDuty's CloudWatch integration turns into an
incident that the "resolved" message closes. Message attributes (``state``, ``subject``,
``model``) let a subscription filter. Credentials come from boto3's default chain, the region
from the topic's ARN, ``AWS_ENDPOINT_URL`` points it elsewhere (moto in tests). A refusal,
throttling past botocore's retries, a timeout or an unreachable endpoint becomes
``AlertUndelivered`` inside the thread, and a log line; a full queue drops the alert, logged.
What is still queued at the interpreter's exit is sent then, for at most ``AT_EXIT_S``.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from predictor.adapters.aws.cloudwatch import client_config
from predictor.domain.alerts import Alert, AlertState
from predictor.domain.errors import AlertUndelivered
from predictor.domain.ports import Alerter

AT_EXIT_S = 5.0  # at most this long at exit to send what is queued
MAX_SUBJECT = 100  # SNS: a subject is at most 100 printable ASCII characters
log = logging.getLogger(__name__)


def subject_line(alert: Alert, state: AlertState) -> str:
    """The email subject: ``[service] ALERT: subject (model)`` / ``[service] RESOLVED: …``."""
    label = "ALERT" if state is AlertState.FIRING else "RESOLVED"
    model = f" ({alert.model})" if alert.model else ""
    text = f"[{alert.service or 'predictor'}] {label}: {alert.subject}{model}"
    printable = "".join(c if " " <= c <= "~" else "?" for c in text)
    return printable[:MAX_SUBJECT]


def message(alert: Alert, state: AlertState) -> dict[str, str]:
    """The ``Message`` of ``MessageStructure=json``: ``email`` text, ``default`` JSON for the rest."""
    facts = alert.facts(state)
    body = {
        **facts,
        "AlarmName": f"{alert.service}: {alert.subject}" + (f" ({alert.model})" if alert.model else ""),
        "NewStateValue": "ALARM" if state is AlertState.FIRING else "OK",
        "NewStateReason": alert.detail,
    }
    lines = [alert.detail, ""] + [f"{name}: {value}" for name, value in facts.items() if value]
    return {"default": json.dumps(body, sort_keys=True), "email": "\n".join(lines)}


def attributes(alert: Alert, state: AlertState) -> dict[str, dict[str, str]]:
    values = {"state": state.value, "subject": alert.subject, "model": alert.model, "service": alert.service}
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items() if v}


class SnsAlerter(Alerter):
    """Publishes each alert and resolution to ``topic_arn`` from a thread of its own."""

    def __init__(
        self,
        topic_arn: str,
        *,
        client: Any = None,
        config: Config | None = None,
        queue_size: int = 1000,
        timeout_s: float = 3.0,
    ) -> None:
        self._topic_arn = topic_arn
        self._client_instance = client
        self._config = config or client_config(timeout_s, timeout_s, 3)
        self._queue: queue.Queue[tuple[Alert, AlertState] | None] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._dropping = False

    def alert(self, alert: Alert) -> None:
        self._enqueue(alert, AlertState.FIRING)

    def resolve(self, alert: Alert) -> None:
        self._enqueue(alert, AlertState.RESOLVED)

    def flush(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the queue to be sent (or given up); False if it was not."""
        deadline = time.monotonic() + timeout_s
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def close(self, timeout_s: float = 5.0) -> None:
        """Send what is queued (up to ``timeout_s``), then stop the thread."""
        if self._thread is None:
            return
        self.flush(timeout_s)
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            return  # the daemon thread dies with the process
        self._thread.join(timeout_s)

    def _enqueue(self, alert: Alert, state: AlertState) -> None:
        try:
            self._started()
            self._queue.put_nowait((alert, state))
            self._dropping = False
        except queue.Full:
            if not self._dropping:  # once per overflow: a flood of alerts must not flood the log
                self._dropping = True
                log.warning("the SNS alert queue is full; alerts are dropped", extra={"alert": alert.subject})
        except Exception:  # the contract: alerting never breaks what alerted
            log.exception("could not queue an alert for SNS", extra={"alert": alert.subject})

    def _started(self) -> None:
        if self._thread is not None:
            return
        with self._start:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="sns-alerts", daemon=True)
                thread.start()
                self._thread = thread
                # What is still queued at exit is sent, for a bounded time (a resolution
                # logged just before a shutdown, say).
                atexit.register(self.close, AT_EXIT_S)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            finally:
                self._queue.task_done()

    def _deliver(self, alert: Alert, state: AlertState) -> None:
        try:
            self.publish(alert, state)
        except AlertUndelivered as exc:
            log.warning(str(exc), extra={"alert": alert.subject, "state": state.value})
        except Exception:  # the thread must outlive any one alert
            log.exception("unexpected error sending an alert to SNS", extra={"alert": alert.subject})

    def publish(self, alert: Alert, state: AlertState) -> None:
        """Send one message now, on the caller's thread; ``AlertUndelivered`` when it cannot be."""
        try:
            self._client().publish(
                TopicArn=self._topic_arn,
                Subject=subject_line(alert, state),
                Message=json.dumps(message(alert, state)),
                MessageStructure="json",
                MessageAttributes=attributes(alert, state),
            )
        # The error's class and code, never its message: it may quote a request's signature.
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "unknown")
            raise AlertUndelivered(f"SNS refused an alert ({code}); it is dropped") from exc
        except BotoCoreError as exc:
            raise AlertUndelivered(
                f"SNS could not be reached ({type(exc).__name__}); an alert is dropped"
            ) from exc

    def _client(self) -> Any:  # boto3 ships no types
        if self._client_instance is None:
            region = self._topic_arn.split(":")[3] if self._topic_arn.count(":") >= 5 else None
            self._client_instance = boto3.session.Session().client(
                "sns", region_name=region or None, config=self._config
            )
        return self._client_instance
