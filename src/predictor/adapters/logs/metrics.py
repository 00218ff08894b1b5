"""Metrics sinks: CloudWatch Embedded Metric Format as structured log lines.

An EMF line is a JSON document that CloudWatch (Lambda's log stream, or the CloudWatch agent
on a container host) turns into metrics without an API call; elsewhere it is a readable log
line. One document per route and status class, one line per flush.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from contextlib import suppress
from itertools import groupby

from predictor.domain.ports import Metric, MetricsSink

NAMESPACE = "predictor"


class EmfMetricsSink(MetricsSink):
    """Writes each batch as CloudWatch EMF JSON documents to the ``predictor.metrics`` logger."""

    def __init__(self, namespace: str = NAMESPACE, logger: logging.Logger | None = None) -> None:
        self._namespace = namespace
        self._log = logger or logging.getLogger("predictor.metrics")

    def publish(self, metrics: Sequence[Metric]) -> None:
        try:
            for dims, group in groupby(metrics, key=lambda m: tuple(sorted(m.dimensions.items()))):
                items = list(group)
                document = {
                    "_aws": {
                        "Timestamp": int(time.time() * 1000),
                        "CloudWatchMetrics": [
                            {
                                "Namespace": self._namespace,
                                "Dimensions": [[name for name, _ in dims]],
                                "Metrics": [{"Name": m.name, "Unit": m.unit} for m in items],
                            }
                        ],
                    },
                    **dict(dims),
                    **{m.name: m.value for m in items},
                }
                self._log.info(json.dumps(document, separators=(",", ":")))
        except Exception:  # noqa: BLE001  # a sink must never fail the flush loop
            with suppress(Exception):  # ... not even when its logger is what fails
                self._log.exception("could not publish metrics")


class NullMetricsSink(MetricsSink):
    """Drops every batch (``PREDICTOR_METRICS_SINK=none``)."""

    def publish(self, metrics: Sequence[Metric]) -> None:
        return None
