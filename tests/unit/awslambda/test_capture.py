"""Capture on Lambda: no thread runs in a frozen function, so each invocation writes what is due."""

from __future__ import annotations

from predictor.entrypoints.awslambda.service import LambdaService
from tests.unit.awslambda.events import LambdaContext, event, from_lambda
from tests.unit.http.conftest import trained_container


def test_lambda_writes_what_is_due_at_the_end_of_the_invocation() -> None:
    container = trained_container(capture_uri="captured", capture_batch_rows=1)
    service = LambdaService(container)
    answer = from_lambda(service(event("http_v2_predict"), LambdaContext()))
    assert answer.status == 200
    assert container.adapters.capture_store().rows("demo") == 2  # no thread: written by the invocation
