"""The registry's use cases: describe, promote, roll back and export model versions."""
