"""The process environment: secrets read from environment variables."""
