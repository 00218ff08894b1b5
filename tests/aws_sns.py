"""An SNS topic with an SQS queue subscribed to it (moto), and the alerts read back from the queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from tests.aws import REGION

TOPIC = "predictor-alerts"


@dataclass(frozen=True)
class Delivered:
    """One SNS notification as the queue got it: its subject, its JSON message, its attributes."""

    subject: str
    body: dict[str, Any]
    attributes: dict[str, str]


class SubscribedQueue:
    """A topic and a queue subscribed to it, on moto in process or at ``endpoint``."""

    def __init__(self, endpoint: str | None = None) -> None:
        self._sns = boto3.client("sns", region_name=REGION, endpoint_url=endpoint)
        self._sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
        self.topic_arn: str = self._sns.create_topic(Name=TOPIC)["TopicArn"]
        self._queue_url: str = self._sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def delivered(self) -> list[Delivered]:
        """Every notification waiting in the queue, taken off it, in the order received."""
        found: list[Delivered] = []
        while True:
            answer = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return found
            for message in messages:
                envelope = json.loads(message["Body"])
                attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
                found.append(
                    Delivered(envelope.get("Subject", ""), json.loads(envelope["Message"]), attributes)
                )
                self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
