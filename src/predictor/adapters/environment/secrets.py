"""Secrets from the process environment, the ``SecretStore`` for local runs and containers."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from predictor.domain.ports import SecretStore


class EnvironmentSecretStore(SecretStore):
    """Reads ``NAME=a, b,c`` as ``["a", "b", "c"]``; unset or blank is an empty list.

    The value is looked up on every call (so a rotated key is seen), where settings are read,
    first found: the environment variable ``NAME``, the ``NAME=`` line of ``env_file``, the file
    named ``NAME`` (any case) in ``secrets_dir``.
    """

    def __init__(self, env_file: Path | None = None, secrets_dir: Path | None = None) -> None:
        self._env_file = env_file
        self._secrets_dir = secrets_dir

    def get_list(self, name: str) -> Sequence[str]:
        raw = os.environ.get(name)
        if raw is None:
            raw = self._from_env_file(name)
        if raw is None:
            raw = self._from_secrets_dir(name)
        return [item.strip() for item in (raw or "").split(",") if item.strip()]

    def _from_env_file(self, name: str) -> str | None:
        if self._env_file is None or not self._env_file.is_file():
            return None
        from dotenv import dotenv_values

        return dotenv_values(self._env_file).get(name)

    def _from_secrets_dir(self, name: str) -> str | None:
        if self._secrets_dir is None or not self._secrets_dir.is_dir():
            return None
        for path in self._secrets_dir.iterdir():
            if path.name.lower() == name.lower() and path.is_file():
                return path.read_text(encoding="utf-8")
        return None
