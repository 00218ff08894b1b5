"""The alerts' settings: where alerts go, how often one trouble is told, and the error-rate alarm."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import Field, model_validator

from predictor.config.groups import Group

_TOPIC_ARN = re.compile(r"arn:aws[a-z\-]*:sns:[a-z0-9\-]+:\d{12}:[A-Za-z0-9_\-]{1,256}(\.fifo)?")


class AlerterKind(StrEnum):
    LOG = "log"  # error records on the predictor.alerts logger (a log-based alarm matches them)
    SNS = "sns"  # messages to an SNS topic (email, PagerDuty ... subscribe to it)


class AlertSettings(Group):
    """Alerts (docs/aws.md#alerts): the alerter, the de-duplication window and the error-rate alarm."""

    alerts: AlerterKind = AlerterKind.LOG
    alerts_topic_arn: str | None = None
    # The service named in every alert, and the window in which one trouble is told only once.
    alerts_service: str = Field(default="predictor", min_length=1, max_length=100)
    alerts_window_s: float = Field(default=900.0, gt=0)
    # SNS: alerts waiting to be sent (more are dropped and logged), and each call's timeouts.
    alerts_queue_size: int = Field(default=1000, ge=1)
    alerts_timeout_s: float = Field(default=3.0, gt=0, le=60)
    # The error-rate alarm: the share of 5xx answers (0 turns it off) over the window, from at
    # least the minimum of requests.
    error_rate_threshold: float = Field(default=0.05, ge=0, le=1)
    error_rate_window_s: float = Field(default=300.0, ge=1)
    error_rate_min_requests: int = Field(default=20, ge=1)

    @model_validator(mode="after")
    def _topic_named(self) -> AlertSettings:
        if self.alerts is AlerterKind.SNS and not self.alerts_topic_arn:
            raise ValueError("PREDICTOR_ALERTS=sns needs PREDICTOR_ALERTS_TOPIC_ARN, the topic's ARN")
        if self.alerts_topic_arn is not None and not _TOPIC_ARN.fullmatch(self.alerts_topic_arn):
            raise ValueError(
                "PREDICTOR_ALERTS_TOPIC_ARN is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)"
            )
        return self
