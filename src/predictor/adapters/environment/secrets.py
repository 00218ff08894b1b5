"""Secrets from environment variables, the ``SecretStore`` for local runs and containers."""

from __future__ import annotations

import os
from collections.abc import Sequence

from predictor.domain.ports import SecretStore


class EnvironmentSecretStore(SecretStore):
    """Reads ``NAME=a, b,c`` as ``["a", "b", "c"]``; unset or blank is an empty list."""

    def get_list(self, name: str) -> Sequence[str]:
        raw = os.environ.get(name, "")
        return [item.strip() for item in raw.split(",") if item.strip()]
