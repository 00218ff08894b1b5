"""Fake CloudWatch for the metrics tests: moto in process (``mock_aws``) or moto's server on a
loopback port (fake credentials from ``tests.aws``), and endpoints that fail on purpose (a
closed port, a socket that accepts and never answers), all on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.aws import FAKE_CREDENTIALS, REGION, fake_aws_env

__all__ = ["FAKE_CREDENTIALS", "REGION", "fake_aws_env"]

NAMESPACE = "predictor-test"


def cloudwatch_client(endpoint: str | None = None) -> Any:  # boto3 ships no types
    return boto3.client("cloudwatch", region_name=REGION, endpoint_url=endpoint)


def listed(client: Any, namespace: str = NAMESPACE) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every (metric name, dimensions) CloudWatch holds in ``namespace``."""
    found = set()
    for page in client.get_paginator("list_metrics").paginate(Namespace=namespace):
        for metric in page["Metrics"]:
            dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            found.add((metric["MetricName"], dims))
    return found


def statistics(
    client: Any, name: str, dimensions: dict[str, str], namespace: str = NAMESPACE
) -> dict[str, float]:
    """Sum, SampleCount and Maximum of one metric over the last hour."""
    now = datetime.now(UTC)
    answer = client.get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in sorted(dimensions.items())],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=5),
        Period=3600,
        Statistics=["Sum", "SampleCount", "Maximum"],
    )
    points = answer["Datapoints"]
    return {
        "Sum": sum(p["Sum"] for p in points),
        "SampleCount": sum(p["SampleCount"] for p in points),
        "Maximum": max((p["Maximum"] for p in points), default=0.0),
    }


@contextmanager
def silent_endpoint(accepted: threading.Event | None = None) -> Iterator[str]:
    """An HTTP endpoint on 127.0.0.1 that accepts connections and never answers; its URL.
    ``accepted`` is set once a client has connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()
    connected = accepted or threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)  # read nothing, answer nothing
            connected.set()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        server.close()


def closed_endpoint() -> str:
    """The URL of a loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
