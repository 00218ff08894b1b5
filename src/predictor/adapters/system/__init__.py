"""The host system: its wall clock."""
