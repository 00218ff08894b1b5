"""The request metrics' settings: the sink, its flush and CloudWatch calls, Prometheus."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AliasChoices, Field

from predictor.config.groups import Group


class MetricsSinkKind(StrEnum):
    EMF = "emf"  # CloudWatch Embedded Metric Format lines on stdout (Lambda, the CloudWatch agent)
    CLOUDWATCH = "cloudwatch"  # PutMetricData from the background flush (containers)
    NONE = "none"


class MetricsSettings(Group):
    """Request metrics, aggregated per request and published every metrics_flush_s (0: at shutdown)
    to the metrics sink; Prometheus's /metrics (admin key) when prometheus_enabled (docs/operations.md)."""

    metrics_sink: MetricsSinkKind = MetricsSinkKind.EMF
    metrics_flush_s: float = Field(default=10.0, ge=0)
    # The CloudWatch namespace of the EMF and PutMetricData sinks.
    metrics_namespace: str = Field(default="predictor", min_length=1, max_length=255)
    # PutMetricData: connect and read timeouts and attempts (botocore's standard retries) per call.
    cloudwatch_connect_timeout_s: float = Field(default=2.0, gt=0, le=60)
    cloudwatch_read_timeout_s: float = Field(default=5.0, gt=0, le=60)
    cloudwatch_max_attempts: int = Field(default=3, ge=1, le=10)
    # The ColdStart metric's dimension; Lambda sets AWS_LAMBDA_FUNCTION_NAME.
    function_name: str | None = Field(
        default=None, validation_alias=AliasChoices("PREDICTOR_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_NAME")
    )
    prometheus_enabled: bool = False
    # With Prometheus on: serve /metrics on this port of PREDICTOR_HOST instead, without a key
    # (keep the port from clients by the network); unset: on the service's port, for an admin key.
    prometheus_port: int | None = Field(default=None, ge=1, le=65535)

    @property
    def prometheus(self) -> str:
        """``on`` or ``off``: the key of the container's Prometheus selector."""
        return "on" if self.prometheus_enabled else "off"
