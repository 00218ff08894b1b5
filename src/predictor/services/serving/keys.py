"""The API keys in force, kept current: read from a secret store and cached for a time-to-live.

``Keyrings.current()`` answers the client and admin keyrings. A rotating secret (Secrets
Manager) is read again once its time-to-live is over, and a key in either its current or its
previous version passes, so a rotation rejects no key that stayed valid, and a key removed
from the secret stops passing within one time-to-live. When a read fails after one succeeded,
the keys last read stay in force: the outage is alerted once and its end logged and resolved
once. Before any read succeeded, ``current()`` raises ``KeysUnavailable`` (HTTP 503), never a keyring.
The secret's format is ``key_secret.py``'s.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from predictor.domain.alerts import SECRET_STORE_UNREACHABLE, Alert
from predictor.domain.errors import ConfigurationError, KeysUnavailable, SecretStoreUnavailable
from predictor.domain.ports import Alerter, Clock, RotatingSecretStore, SecretStore
from predictor.services.serving.auth import ApiKeyring
from predictor.services.serving.key_secret import ServiceKeys, json_secret_reader

log = logging.getLogger(__name__)


class Keyrings:
    """The keys in force; ``current()`` is called on every protected request."""

    def __init__(
        self,
        read: Callable[[], ServiceKeys],
        *,
        clock: Clock,
        alerter: Alerter,
        ttl_s: float | None = None,
        retry_s: float = 5.0,
        source: str = "secret store",
        background: bool = False,
    ) -> None:
        self._read = read
        self._clock = clock
        self._alerter = alerter
        self._ttl = None if ttl_s is None else timedelta(seconds=ttl_s)
        self._retry = timedelta(seconds=retry_s)
        self._source = source
        self._keys: ServiceKeys | None = None
        self._next_read: datetime | None = None  # None: due now
        self._failing = False
        self._background = background
        self._lock = threading.Lock()

    @classmethod
    def from_lists(
        cls, store: SecretStore, api_keys: str, admin_keys: str, alerter: Alerter, clock: Clock
    ) -> Keyrings:
        """Keys from two list secrets, read once now: none is a ``ConfigurationError``."""

        def read() -> ServiceKeys:
            clients = ApiKeyring(store.get_list(api_keys))
            if not clients:
                raise ConfigurationError(
                    f"no API keys are configured: set {api_keys} to one or more keys "
                    "(comma-separated, at least 16 characters each) before starting the HTTP service"
                )
            return ServiceKeys(clients, ApiKeyring(store.get_list(admin_keys)))

        keyrings = cls(read, clock=clock, alerter=alerter)
        keyrings.load()
        return keyrings

    @classmethod
    def from_json_secret(
        cls,
        store: RotatingSecretStore,
        name: str,
        ttl_s: float,
        retry_s: float,
        alerter: Alerter,
        clock: Clock,
    ) -> Keyrings:
        """Keys from the JSON secret ``name``'s current and previous versions, tried once now
        (a failure is no error: requests get 503 until a read succeeds)."""
        keyrings = cls(
            json_secret_reader(store, name),
            clock=clock,
            alerter=alerter,
            ttl_s=ttl_s,
            retry_s=retry_s,
            source=f"secret {name!r}",
        )
        keyrings.refresh()
        return keyrings

    def current(self) -> ServiceKeys:
        """The keys in force, read again first when due; ``KeysUnavailable`` before any read.

        In the background mode, a due read runs on a thread of its own and this answers at
        once with the keys in force (an event loop is never held up by Secrets Manager)."""
        if self._due():
            if self._background:
                self._read_on_a_thread()
            # One read at a time; while it runs, the others go on with the keys in force.
            elif self._lock.acquire(blocking=self._keys is None):
                self._refresh_then_release()
        keys = self._keys
        if keys is None:
            raise KeysUnavailable(
                "the API keys are not loaded yet: the secret store could not be read; try again shortly"
            )
        return keys

    def read_in_background(self) -> Keyrings:
        """From now on, due reads run on a thread (for long-lived servers; a frozen Lambda
        function keeps them inline)."""
        self._background = True
        return self

    def _read_on_a_thread(self) -> None:
        if self._lock.acquire(blocking=False):
            threading.Thread(target=self._refresh_then_release, name="keys-read", daemon=True).start()

    def _refresh_then_release(self) -> None:
        try:
            if self._due():
                self._refresh()
        finally:
            self._lock.release()

    def load(self) -> ServiceKeys:
        """Read the keys now, raising the read's error (for start-up, where no key is fatal)."""
        with self._lock:
            self._keys = self._read()
            self._next_read = self._after(self._ttl)
            return self._keys

    def refresh(self) -> bool:
        """Read the keys now (a background task may call this); False when the read failed."""
        with self._lock:
            return self._refresh()

    def _due(self) -> bool:
        if self._keys is not None and self._ttl is None:
            return False  # read once, at start-up
        return self._next_read is None or self._clock.now() >= self._next_read

    def _after(self, delay: timedelta | None) -> datetime | None:
        return None if delay is None else self._clock.now() + delay

    def _refresh(self) -> bool:
        started = self._clock.now()  # the time-to-live counts from the read's start
        try:
            keys = self._read()
        except (SecretStoreUnavailable, ConfigurationError) as exc:
            self._next_read = self._clock.now() + self._retry
            self._failed(exc)
            return False
        self._keys = keys
        self._next_read = None if self._ttl is None else started + self._ttl
        if self._failing:
            self._failing = False
            log.info("API keys read again", extra={"source": self._source, "keys": len(keys.clients)})
            self._alerter.resolve(
                Alert(SECRET_STORE_UNREACHABLE, f"the API keys are read from the {self._source} again")
            )
        return True

    def _failed(self, exc: Exception) -> None:
        if self._failing:
            return
        self._failing = True
        in_force = "the keys last read stay in force" if self._keys else "protected requests get 503"
        text = f"the API keys cannot be read from the {self._source}; {in_force}"
        details = {"source": self._source, "error": type(exc).__name__, "reason": str(exc)}
        log.error(text, extra=details)
        context = {"source": self._source, "reason": str(exc)}
        self._alerter.alert(Alert(SECRET_STORE_UNREACHABLE, text, error=type(exc).__name__, context=context))
