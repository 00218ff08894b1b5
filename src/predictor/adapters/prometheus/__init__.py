"""Prometheus adapters: the only package that imports prometheus_client."""
