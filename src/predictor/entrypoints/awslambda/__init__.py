"""AWS Lambda: the service behind ``predictor.entrypoints.lambda_handler.handler`` (docs/aws.md#lambda)."""
