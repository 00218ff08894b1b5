"""The groups of settings: ``Group``, the base each group derives from, and the process-wide
groups (the profile, logging, where settings are read from). The other groups live by family:
``predictor.config.models`` (serving, MLflow tracking, tuning), ``predictor.config.http`` (the
listener and its security), ``predictor.config.metrics``, ``predictor.config.alerts`` and
``predictor.config.capture``.

Each group is a pydantic-settings ``BaseSettings`` reading ``PREDICTOR_<FIELD>`` for each of its
fields (the prefix is shared, so variables keep the names they had before there were groups).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import DirectoryPath, FilePath, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "PREDICTOR_"


class Profile(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Group(BaseSettings):
    """A group of settings, each read from ``PREDICTOR_<FIELD>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore", frozen=True, populate_by_name=True
    )


class LoggingSettings(Group):
    log_level: LogLevel = LogLevel.INFO
    log_json: bool = False  # the prod profile's default is True

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class ProfileSettings(Group):
    profile: Profile = Profile.DEV


class SourceSettings(BaseSettings):
    """Where the other settings are read from: read from the environment alone."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore", frozen=True, validate_default=False
    )

    env_file: FilePath | None = Path(".env")  # a missing default .env is no error; a named one is
    secrets_dir: DirectoryPath | None = None
