"""``LambdaSmokeCheck`` against a stand-in Lambda client that is the real handler's service in
process: the version named is invoked with an HTTP API event, and only 200 with predictions passes."""

from __future__ import annotations

import dataclasses
import json

from predictor.adapters.aws.lambda_smoke import LambdaSmokeCheck
from predictor.entrypoints.awslambda.service import LambdaService
from tests.unit.awslambda.test_pre_traffic_hook import InProcessLambda
from tests.unit.http.conftest import API_KEY, row, trained_container
from tests.unit.http.test_server_errors import ExplodingModel

BODY = json.dumps({"instances": [row()]})


def test_a_version_that_predicts_passes() -> None:
    function = InProcessLambda(LambdaService(trained_container()))

    assert LambdaSmokeCheck(BODY, API_KEY, function).failure("predictor", "7") is None
    assert function.invoked == ["predictor:7"]


def test_a_wrong_key_a_bad_body_and_a_broken_model_each_fail() -> None:
    function = InProcessLambda(LambdaService(trained_container()))
    assert LambdaSmokeCheck(BODY, "not-the-served-key-000", function).failure("f", "1") == "it answered 401"
    assert LambdaSmokeCheck('{"instances": [{}]}', API_KEY, function).failure("f", "1") == "it answered 400"

    served = function.service.container.slot().current()
    broken = ExplodingModel(served.model.manifest, RuntimeError("boom"))
    function.service.container.slot().swap(dataclasses.replace(served, model=broken))
    assert LambdaSmokeCheck(BODY, API_KEY, function).failure("f", "1") == "it answered 500"
