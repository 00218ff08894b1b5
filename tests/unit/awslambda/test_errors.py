"""On Lambda, an unexpected failure is the same generic 500 problem as over HTTP; its stack trace
goes to the logs with Lambda's request id, the client's request id, the model and its version,
and no API key appears in any line."""

from __future__ import annotations

import dataclasses
import io
import json

import orjson

from predictor.entrypoints.awslambda.service import LambdaService
from tests.unit.awslambda.events import LambdaContext, event, from_lambda
from tests.unit.http.conftest import API_KEY, trained_container
from tests.unit.http.test_logging import logging_into
from tests.unit.http.test_server_errors import INTERNAL_TEXT, ExplodingModel


def test_a_failure_is_a_generic_500_and_a_logged_stack_trace_naming_the_invocation() -> None:
    service = LambdaService(trained_container())
    served = service.container.slot().current()
    broken = ExplodingModel(served.model.manifest, RuntimeError(INTERNAL_TEXT))
    service.container.slot().swap(dataclasses.replace(served, model=broken))
    stream = io.StringIO()
    context = LambdaContext()

    with logging_into(stream, json=True):
        answer = from_lambda(service(event("rest_v1_predict"), context))

    assert answer.status == 500
    problem = json.loads(answer.body)
    assert problem["type"] == "https://predictor.dev/problems/internal-error"
    assert problem["request_id"] == "rest-v1-predict"
    for leak in (INTERNAL_TEXT, "RuntimeError", "Traceback", ".py"):
        assert leak not in answer.body.decode()
    lines = [orjson.loads(line) for line in stream.getvalue().splitlines()]
    (failure,) = [line for line in lines if line["event"] == "unhandled error"]
    assert failure["aws_request_id"] == context.aws_request_id
    assert failure["request_id"] == "rest-v1-predict"
    assert (failure["model"], failure["model_version"]) == ("models:/demo@production", "1")
    assert INTERNAL_TEXT in orjson.dumps(failure["exception"]).decode()
    assert API_KEY not in stream.getvalue()
