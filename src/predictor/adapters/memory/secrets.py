"""A rotating secret store in memory: versions move as Secrets Manager moves its stages."""

from __future__ import annotations

from predictor.domain.errors import ConfigurationError, SecretStoreUnavailable
from predictor.domain.ports import RotatingSecretStore, SecretVersions


class InMemoryRotatingSecretStore(RotatingSecretStore):
    """``put`` makes a value current and the current one previous (``put_secret_value`` does
    that with ``AWSCURRENT`` and ``AWSPREVIOUS``). ``outage`` set to an error makes every read
    raise it, as an unreachable store would; ``reads`` counts the reads asked for."""

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self._versions = {name: SecretVersions(value) for name, value in (secrets or {}).items()}
        self.outage: SecretStoreUnavailable | None = None
        self.reads = 0

    def put(self, name: str, value: str) -> None:
        before = self._versions.get(name)
        self._versions[name] = SecretVersions(value, before.current if before is not None else None)

    def versions(self, name: str) -> SecretVersions:
        self.reads += 1
        if self.outage is not None:
            raise self.outage
        try:
            return self._versions[name]
        except KeyError:
            raise ConfigurationError(f"no secret named {name!r} exists in the secret store") from None
