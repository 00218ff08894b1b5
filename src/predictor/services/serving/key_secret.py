"""The JSON secret of the API keys: ``{"api_keys": [...], "admin_keys": [...]}``, read from its
current and previous versions into the keys one request is checked against."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import RotatingSecretStore
from predictor.services.serving.auth import ApiKeyring

log = logging.getLogger(__name__)

# The fields of the JSON secret: {"api_keys": ["..."], "admin_keys": ["..."]}.
API_KEYS_FIELD = "api_keys"
ADMIN_KEYS_FIELD = "admin_keys"


@dataclass(frozen=True, slots=True)
class ServiceKeys:
    """The keys one request is checked against: client keys and admin keys, kept apart."""

    clients: ApiKeyring
    admin: ApiKeyring


def parse_key_secret(name: str, text: str) -> tuple[list[str], list[str]]:
    """The API keys and admin keys of one version of the JSON secret ``name``.

    Raises ``ConfigurationError`` saying what is wrong, never quoting the secret."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"secret {name!r} is not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(document, dict):
        raise ConfigurationError(f'secret {name!r} must be a JSON object: {{"{API_KEYS_FIELD}": [...]}}')
    return _strings(name, document, API_KEYS_FIELD), _strings(name, document, ADMIN_KEYS_FIELD)


def _strings(name: str, document: dict[str, object], field: str) -> list[str]:
    values = document.get(field, [])
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ConfigurationError(f"secret {name!r}: {field!r} must be a list of strings")
    return list(values)


def json_secret_reader(store: RotatingSecretStore, name: str) -> Callable[[], ServiceKeys]:
    """A read of the secret ``name``: the keys of its current version (at least one API key)
    and of its previous one (ignored, with a warning, when it is malformed)."""

    def read() -> ServiceKeys:
        versions = store.versions(name)
        clients, admin = parse_key_secret(name, versions.current)
        if not ApiKeyring(clients):
            raise ConfigurationError(f"secret {name!r} holds no API key in {API_KEYS_FIELD!r}")
        if versions.previous is not None:
            try:
                before = parse_key_secret(name, versions.previous)
                ApiKeyring(before[0] + before[1])  # a short key there is refused here, alone
            except ConfigurationError as exc:
                log.warning("previous version of the key secret ignored", extra={"reason": str(exc)})
            else:
                clients, admin = clients + before[0], admin + before[1]
        return ServiceKeys(ApiKeyring(clients), ApiKeyring(admin))

    return read
