"""Serving: load and hold the served models, predict, explain, score files, refresh on a time-to-live."""
