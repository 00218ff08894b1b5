"""The AWS Lambda entry: ``predictor.entrypoints.lambda_handler.handler`` (docs/aws.md#lambda).

The service is built here, at import, which Lambda runs once per function instance (its init
phase): the container, the app and the model are reused by every warm invocation.
"""

from __future__ import annotations

import os
from typing import Any

from predictor.entrypoints.awslambda.service import LambdaService
from predictor.entrypoints.awslambda.snapstart import register_snapstart_hooks

service = LambdaService.from_environment(os.environ)
register_snapstart_hooks(service.container)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one API Gateway (REST v1, HTTP API v2) or ALB event."""
    return service(event, context)
