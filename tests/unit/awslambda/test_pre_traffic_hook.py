"""deploy/hooks/pre_traffic.py, CodeDeploy's PreTraffic hook, against a stand-in Lambda that is
the real handler's service in process: a served model passes, a broken one fails the deployment."""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

from predictor.entrypoints.awslambda.service import LambdaService
from tests.unit.awslambda.events import LambdaContext
from tests.unit.awslambda.stack_functions import stack_function
from tests.unit.http.conftest import API_KEY, row, trained_container
from tests.unit.http.test_server_errors import ExplodingModel

pre_traffic = stack_function("pre_traffic")

EVENT = {"DeploymentId": "d-123", "LifecycleEventHookExecutionId": "hook-456"}
ENVIRONMENT = {
    "NEW_VERSION": "arn:aws:lambda:us-east-1:123456789012:function:stack-predictor:7",
    "KEYS_SECRET_ID": "predictor/api-keys",
    "SMOKE_REQUEST": json.dumps({"instances": [row()]}),
}


class InProcessLambda:
    """``lambda.invoke`` answered by the handler's service, as the published version would."""

    def __init__(self, service: LambdaService) -> None:
        self.service = service
        self.invoked: list[str] = []

    def invoke(self, *, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        self.invoked.append(FunctionName)
        answer = self.service(json.loads(Payload), LambdaContext())
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}


class RecordingCodeDeploy:
    def __init__(self) -> None:
        self.reported: list[dict[str, str]] = []

    def put_lifecycle_event_hook_execution_status(self, **kwargs: str) -> object:
        self.reported.append(kwargs)
        return {}


class StaticSecrets:
    def get_secret_value(self, *, SecretId: str) -> dict[str, Any]:
        assert SecretId == ENVIRONMENT["KEYS_SECRET_ID"]
        return {"SecretString": json.dumps({"api_keys": [API_KEY], "admin_keys": []})}


def test_a_version_that_predicts_passes_and_codedeploy_hears_succeeded() -> None:
    function, codedeploy = InProcessLambda(LambdaService(trained_container())), RecordingCodeDeploy()

    status = pre_traffic.run_hook(EVENT, ENVIRONMENT, function, codedeploy, StaticSecrets())

    assert status == "Succeeded"
    assert function.invoked == [ENVIRONMENT["NEW_VERSION"]]
    assert codedeploy.reported == [
        {"deploymentId": "d-123", "lifecycleEventHookExecutionId": "hook-456", "status": "Succeeded"}
    ]


def test_a_version_that_answers_500_fails_the_deployment() -> None:
    service = LambdaService(trained_container())
    served = service.container.slot().current()
    broken = ExplodingModel(served.model.manifest, RuntimeError("boom"))
    service.container.slot().swap(dataclasses.replace(served, model=broken))
    codedeploy = RecordingCodeDeploy()

    status = pre_traffic.run_hook(EVENT, ENVIRONMENT, InProcessLambda(service), codedeploy, StaticSecrets())

    assert status == "Failed"
    assert [report["status"] for report in codedeploy.reported] == ["Failed"]


def test_a_wrong_key_in_the_secret_fails_the_deployment() -> None:
    class WrongKey(StaticSecrets):
        def get_secret_value(self, *, SecretId: str) -> dict[str, Any]:
            return {"SecretString": json.dumps({"api_keys": ["not-the-served-key-000"]})}

    codedeploy = RecordingCodeDeploy()
    function = InProcessLambda(LambdaService(trained_container()))

    assert pre_traffic.run_hook(EVENT, ENVIRONMENT, function, codedeploy, WrongKey()) == "Failed"
