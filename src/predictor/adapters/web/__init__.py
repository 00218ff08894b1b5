"""Calls to a running predictor server over HTTP, with the standard library's client."""
