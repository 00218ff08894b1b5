"""API keys: compared as SHA-256 digests in constant time; several active at once for rotation."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from predictor.domain.errors import ConfigurationError, Forbidden, Unauthorized

_MIN_KEY_LENGTH = 16


def key_id(key: str) -> str:
    """A short, stable id for a key, safe to log: the first 12 hex digits of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


class ApiKeyring:
    """The active API keys. Only their digests are kept in memory."""

    def __init__(self, keys: Iterable[str]) -> None:
        digests: list[bytes] = []
        for raw in keys:
            key = raw.strip()
            if not key:
                continue
            if len(key) < _MIN_KEY_LENGTH:
                raise ConfigurationError(
                    f"an API key (id {key_id(key)}) is shorter than {_MIN_KEY_LENGTH} characters"
                )
            digests.append(hashlib.sha256(key.encode()).digest())
        self._digests = tuple(digests)

    def __len__(self) -> int:
        return len(self._digests)

    def check(self, presented: str | None) -> str:
        """Return the key's id when ``presented`` is an active key; raise ``Unauthorized`` otherwise."""
        if not presented:
            raise Unauthorized(
                "missing API key: send it in the X-API-Key header, as 'Authorization: Bearer <key>', "
                "or as the password of HTTP Basic credentials"
            )
        digest = hashlib.sha256(presented.encode()).digest()
        # Compare against every key, so timing does not tell which (or whether one) matched early.
        matched = False
        for candidate in self._digests:
            matched |= hmac.compare_digest(digest, candidate)
        if not matched:
            raise Unauthorized("the API key is not valid")
        return key_id(presented)


class ModelScopes:
    """The models each scoped client key may use, by key id; a key not named may use every model."""

    def __init__(self, scopes: Mapping[str, frozenset[str]]) -> None:
        self._scopes = dict(scopes)

    def allows(self, key_id: str | None, name: str) -> bool:
        allowed = self._scopes.get(key_id) if key_id is not None else None
        return allowed is None or name in allowed

    def check(self, key_id: str | None, name: str) -> None:
        """``Forbidden`` when the key ``key_id`` is scoped to models other than ``name``."""
        if not self.allows(key_id, name):
            allowed = ", ".join(repr(model) for model in sorted(self._scopes[key_id or ""]))
            raise Forbidden(f"this API key may use model {allowed} only, not {name!r}")
