"""The delivery use cases wired to AWS Lambda (``predictor deploy``): boto3's default chain."""

from __future__ import annotations

from predictor.adapters.real import aws
from predictor.services.delivery.functions import DeployFunction, RollBackFunction


def deploy_function(smoke_body: str, api_key: str) -> DeployFunction:
    return DeployFunction(aws.lambda_deployer(), aws.lambda_smoke_check(smoke_body, api_key))


def rollback_function() -> RollBackFunction:
    return RollBackFunction(aws.lambda_deployer())
