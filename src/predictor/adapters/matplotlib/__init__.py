"""matplotlib: evaluation plots rendered as PNG bytes."""
