"""The use cases: plain classes that take ports and expose one verb, grouped by what they serve."""
