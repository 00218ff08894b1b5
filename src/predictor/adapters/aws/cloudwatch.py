"""Metrics to CloudWatch by ``PutMetricData``, for containers: one flush's batch in few calls.

The flush loop calls ``publish`` from a background thread every ``PREDICTOR_METRICS_FLUSH_S``
seconds, never a request. Each call sends at most ``MAX_DATUMS_PER_CALL`` data (the API's
limit); a latency distribution goes as ``Values`` / ``Counts`` (at most ``MAX_VALUES`` pairs a
datum, so CloudWatch computes percentiles itself). Credentials and region come from boto3's
default chain (an IAM role in AWS), ``AWS_ENDPOINT_URL`` points it elsewhere (moto in tests).
A backend that fails, throttles or hangs never raises out of ``publish``: botocore's timeouts
and standard retries bound the wait, and a batch that cannot be sent is dropped and logged.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from predictor.domain.ports import Metric, MetricsSink

NAMESPACE = "predictor"
MAX_DATUMS_PER_CALL = 1000  # PutMetricData: up to 1000 metrics per request
MAX_VALUES = 150  # PutMetricData: up to 150 values (and counts) per datum
MAX_DIMENSIONS = 30  # up to 30 dimensions per metric
MAX_DIMENSION_VALUE = 1024  # a dimension value is 1 to 1024 characters

log = logging.getLogger(__name__)


def client_config(connect_timeout_s: float, read_timeout_s: float, max_attempts: int) -> Config:
    """Short timeouts and botocore's standard retries (backoff with jitter, throttling retried)."""
    return Config(
        connect_timeout=connect_timeout_s,
        read_timeout=read_timeout_s,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
    )


def _dimensions(metric: Metric) -> list[dict[str, str]]:
    # An empty value is refused by the API: a label with nothing to say is left out.
    pairs = [(k, v[:MAX_DIMENSION_VALUE]) for k, v in sorted(metric.dimensions.items()) if v]
    return [{"Name": k, "Value": v} for k, v in pairs[:MAX_DIMENSIONS]]


def metric_data(metrics: Sequence[Metric], timestamp: datetime) -> Iterator[dict[str, Any]]:
    """PutMetricData's ``MetricData`` entries for ``metrics``: a distribution as ``Values`` /
    ``Counts`` (split past 150 pairs; CloudWatch adds them up), a number as ``Value``. A value
    that is not finite is left out (the API refuses NaN and infinities)."""
    for metric in metrics:
        base = {
            "MetricName": metric.name,
            "Dimensions": _dimensions(metric),
            "Unit": metric.unit,
            "Timestamp": timestamp,
        }
        if metric.values:
            pairs = [
                (v, c)
                for v, c in zip(metric.values, metric.counts, strict=True)
                if math.isfinite(v) and math.isfinite(c) and c > 0
            ]
            for start in range(0, len(pairs), MAX_VALUES):
                chunk = pairs[start : start + MAX_VALUES]
                yield {**base, "Values": [v for v, _ in chunk], "Counts": [c for _, c in chunk]}
        elif math.isfinite(metric.value):
            yield {**base, "Value": metric.value}


class CloudWatchMetricsSink(MetricsSink):
    """Each batch to ``namespace`` through ``PutMetricData``, in calls of at most 1000 data.

    The client is made on first use (boto3 is slow to import and to build one), so a missing
    region or credentials is a logged failure of a flush, not of the service; a test may hand
    one in.
    """

    def __init__(self, namespace: str = NAMESPACE, client: Any = None, config: Config | None = None) -> None:
        self._namespace = namespace
        self._client_instance = client
        self._config = config or client_config(2.0, 5.0, 3)
        self._failing = False

    def _client(self) -> Any:  # boto3 ships no types
        if self._client_instance is None:
            self._client_instance = boto3.session.Session().client("cloudwatch", config=self._config)
        return self._client_instance

    def publish(self, metrics: Sequence[Metric]) -> None:
        data = list(metric_data(metrics, datetime.now(UTC)))
        for start in range(0, len(data), MAX_DATUMS_PER_CALL):
            chunk = data[start : start + MAX_DATUMS_PER_CALL]
            try:
                self._client().put_metric_data(Namespace=self._namespace, MetricData=chunk)
            # ClientError (refused, throttled past the retries), BotoCoreError (timeouts, an
            # unreachable endpoint, no credentials) and anything else: a sink never raises.
            except Exception as exc:  # noqa: BLE001  # a sink must never fail the flush loop
                self._failed(exc, dropped=len(data) - start)
                return
        if self._failing and data:
            self._failing = False
            log.warning("CloudWatch metrics are sent again", extra={"namespace": self._namespace})

    def _failed(self, exc: Exception, dropped: int) -> None:
        # The error's class and code, never its message: it may quote a request's signature.
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
        log.warning(
            "could not send metrics to CloudWatch; this batch is dropped",
            extra={
                "namespace": self._namespace,
                "error_type": type(exc).__name__,
                "error_code": code,
                "dropped": dropped,
                "first_failure": not self._failing,
            },
        )
        self._failing = True
