"""Metrics sinks: CloudWatch Embedded Metric Format (EMF) lines on stdout, and one that drops.

An EMF line is a JSON document that CloudWatch (Lambda's log stream, or the CloudWatch agent
on a container host) turns into metrics without an API call. It must be the whole log line,
so the documents are written to stdout as they are, not through the structured logger (which
would wrap them in a record of its own). One document per set of dimensions and at most
``MAX_METRICS_PER_DOCUMENT`` metrics in each (EMF's limit); the first batch of the process
also carries a ``ColdStart`` metric. Powertools' Metrics writes the same documents, at a cost
in import time measured in docs/performance.md#emf-metrics.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from itertools import groupby
from typing import Any, TextIO

from predictor.domain.ports import Metric, MetricsSink

NAMESPACE = "predictor"
MAX_METRICS_PER_DOCUMENT = 100  # EMF: at most 100 metric definitions per directive
MAX_DIMENSIONS = 30  # EMF: at most 30 dimensions per dimension set

log = logging.getLogger(__name__)


def _dimensions(metric: Metric) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(metric.dimensions.items()))[:MAX_DIMENSIONS]


def emf_documents(namespace: str, metrics: Sequence[Metric], timestamp_ms: int) -> Iterator[dict[str, Any]]:
    """The EMF documents for ``metrics``: grouped by dimensions, at most 100 metrics each.

    A distribution (``values``) is left out: its p50 / p99 / max come as metrics of their own.
    A value that is not finite is left out too: JSON has no NaN, and CloudWatch would refuse it.
    """
    kept = [m for m in metrics if not m.values and math.isfinite(m.value)]
    for dims, group in groupby(sorted(kept, key=_dimensions), key=_dimensions):
        items = list({m.name: m for m in group}.values())  # a name twice in one document: last wins
        for start in range(0, len(items), MAX_METRICS_PER_DOCUMENT):
            chunk = items[start : start + MAX_METRICS_PER_DOCUMENT]
            yield {
                "_aws": {
                    "Timestamp": timestamp_ms,
                    "CloudWatchMetrics": [
                        {
                            "Namespace": namespace,
                            "Dimensions": [[name for name, _ in dims]],
                            "Metrics": [{"Name": m.name, "Unit": m.unit} for m in chunk],
                        }
                    ],
                },
                **dict(dims),
                **{m.name: m.value for m in chunk},
            }


class EmfMetricsSink(MetricsSink):
    """Writes each batch as CloudWatch EMF JSON lines to ``stream`` (stdout, as it is at each write).

    ``function_name`` (Lambda's ``AWS_LAMBDA_FUNCTION_NAME``) is the ``ColdStart`` metric's
    dimension; elsewhere it is counted under ``service``.
    """

    def __init__(
        self, namespace: str = NAMESPACE, stream: TextIO | None = None, function_name: str | None = None
    ) -> None:
        self._namespace = namespace
        self._stream = stream
        self._cold_start: Metric | None = Metric(
            "ColdStart",
            1.0,
            "Count",
            {"function_name": function_name} if function_name else {"service": namespace},
        )

    def publish(self, metrics: Sequence[Metric]) -> None:
        try:
            batch = list(metrics)
            if self._cold_start is not None:
                batch.append(self._cold_start)
                self._cold_start = None
            stream = self._stream or sys.stdout
            now = int(time.time() * 1000)
            lines = [json.dumps(d, separators=(",", ":")) for d in emf_documents(self._namespace, batch, now)]
            if lines:
                stream.write("\n".join(lines) + "\n")
                stream.flush()
        except Exception:  # a sink must never fail the flush loop
            with suppress(Exception):  # ... not even when the log is what fails
                log.exception("could not publish metrics as EMF lines")


class NullMetricsSink(MetricsSink):
    """Drops every batch (``PREDICTOR_METRICS_SINK=none``)."""

    def publish(self, metrics: Sequence[Metric]) -> None:
        return None
