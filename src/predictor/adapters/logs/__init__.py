"""Structured log lines as an output: alerts, and metrics in CloudWatch's Embedded Metric Format."""
