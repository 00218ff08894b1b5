"""Delivery's use cases: deploy the Lambda function behind a smoke test, and roll its alias back."""
