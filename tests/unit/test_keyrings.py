"""Keyrings: a rotating JSON secret kept for a TTL, both versions in force, stale on failure."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictor.adapters.memory import FixedClock, InMemoryRotatingSecretStore, RecordingAlerter
from predictor.domain.errors import ConfigurationError, KeysUnavailable, SecretStoreUnavailable, Unauthorized
from predictor.domain.ports import SecretVersions
from predictor.services.serving.key_secret import parse_key_secret
from predictor.services.serving.keys import Keyrings

NAME = "predictor/api-keys"
OLD = "old-client-key-0123456789"
NEW = "new-client-key-0123456789"
ADMIN = "admin-key-0123456789abcdef"
TTL_S = 60.0
RETRY_S = 5.0


def secret(*clients: str, admin: tuple[str, ...] = (ADMIN,)) -> str:
    return json.dumps({"api_keys": list(clients), "admin_keys": list(admin)})


def passes(keyrings: Keyrings, key: str) -> bool:
    try:
        keyrings.current().clients.check(key)
    except Unauthorized:
        return False
    return True


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def store() -> InMemoryRotatingSecretStore:
    return InMemoryRotatingSecretStore({NAME: secret(OLD)})


@pytest.fixture
def alerter() -> RecordingAlerter:
    return RecordingAlerter()


def keyrings_for(
    store: InMemoryRotatingSecretStore, clock: FixedClock, alerter: RecordingAlerter
) -> Keyrings:
    return Keyrings.from_json_secret(store, NAME, TTL_S, RETRY_S, alerter, clock)


def later(clock: FixedClock, seconds: float) -> None:
    clock.at += timedelta(seconds=seconds)


def test_keys_are_read_once_per_ttl(
    store: InMemoryRotatingSecretStore, clock: FixedClock, alerter: RecordingAlerter
) -> None:
    keyrings = keyrings_for(store, clock, alerter)
    for _ in range(100):
        assert passes(keyrings, OLD)
    later(clock, TTL_S - 1)
    keyrings.current()
    assert store.reads == 1
    later(clock, 1)
    keyrings.current()
    assert store.reads == 2


def test_during_a_rotation_both_versions_pass_and_the_admin_keys_stay_apart(
    store: InMemoryRotatingSecretStore, clock: FixedClock, alerter: RecordingAlerter
) -> None:
    keyrings = keyrings_for(store, clock, alerter)
    store.put(NAME, secret(NEW))
    later(clock, TTL_S)
    assert passes(keyrings, OLD)
    assert passes(keyrings, NEW)
    assert not passes(keyrings, ADMIN)
    keyrings.current().admin.check(ADMIN)


def test_a_key_removed_from_the_secret_stops_passing_within_one_ttl(
    store: InMemoryRotatingSecretStore, clock: FixedClock, alerter: RecordingAlerter
) -> None:
    keyrings = keyrings_for(store, clock, alerter)
    store.put(NAME, secret(NEW))
    store.put(NAME, secret(NEW, "third-client-key-0123456"))  # OLD is in neither version now
    assert passes(keyrings, OLD)  # still within the TTL of the read that had it
    later(clock, TTL_S)
    assert not passes(keyrings, OLD)
    assert passes(keyrings, NEW)


def test_before_any_read_every_check_is_unavailable_until_a_read_succeeds(
    clock: FixedClock, alerter: RecordingAlerter
) -> None:
    store = InMemoryRotatingSecretStore({NAME: secret(OLD)})
    store.outage = SecretStoreUnavailable("Secrets Manager cannot be reached (EndpointConnectionError)")
    keyrings = keyrings_for(store, clock, alerter)
    for _ in range(3):
        with pytest.raises(KeysUnavailable, match="not loaded yet"):
            keyrings.current()
    assert store.reads == 1  # no read again before the retry wait
    store.outage = None
    later(clock, RETRY_S)
    assert passes(keyrings, OLD)
    assert len(alerter.alerts) == 1


def test_an_outage_keeps_the_keys_in_force_alerts_once_and_logs_its_end_once(
    store: InMemoryRotatingSecretStore,
    clock: FixedClock,
    alerter: RecordingAlerter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    keyrings = keyrings_for(store, clock, alerter)
    store.outage = SecretStoreUnavailable("Secrets Manager throttled the reads (ThrottlingException)")
    for _ in range(10):
        later(clock, TTL_S)
        assert passes(keyrings, OLD)
    assert len(alerter.alerts) == 1
    alert = alerter.alerts[0]
    assert alert.subject == "secret store unreachable"
    assert alert.error == "SecretStoreUnavailable"
    assert "stay in force" in alert.detail
    assert OLD not in repr(alert)
    store.outage = None
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="predictor.services.serving.keys"):
        later(clock, RETRY_S)
        keyrings.current()
        later(clock, TTL_S)
        keyrings.current()
    assert [record.message for record in caplog.records] == ["API keys read again"]
    assert [resolved.subject for resolved in alerter.resolved] == ["secret store unreachable"]
    store.outage = SecretStoreUnavailable("again")
    later(clock, TTL_S)
    keyrings.current()
    assert len(alerter.alerts) == 2  # a new outage, a new alert


def test_a_bad_secret_is_an_outage_not_a_lockout(
    store: InMemoryRotatingSecretStore, clock: FixedClock, alerter: RecordingAlerter
) -> None:
    keyrings = keyrings_for(store, clock, alerter)
    store.put(NAME, "{not json")
    later(clock, TTL_S)
    assert passes(keyrings, OLD)
    assert "is not JSON" in alerter.alerts[0].context["reason"]


def test_a_secret_with_no_api_key_is_refused(clock: FixedClock, alerter: RecordingAlerter) -> None:
    store = InMemoryRotatingSecretStore({NAME: secret()})
    keyrings = keyrings_for(store, clock, alerter)
    with pytest.raises(KeysUnavailable):
        keyrings.current()
    assert "holds no API key" in alerter.alerts[0].context["reason"]


def test_a_short_key_is_named_by_its_id_never_quoted(clock: FixedClock, alerter: RecordingAlerter) -> None:
    store = InMemoryRotatingSecretStore({NAME: secret("short-key")})
    keyrings_for(store, clock, alerter)
    reason = alerter.alerts[0].context["reason"]
    assert "shorter than 16 characters" in reason
    assert "short-key" not in reason


def test_a_missing_secret_is_named_in_the_alert(clock: FixedClock, alerter: RecordingAlerter) -> None:
    keyrings_for(InMemoryRotatingSecretStore(), clock, alerter)
    assert NAME in alerter.alerts[0].context["reason"]


@pytest.mark.parametrize("previous", ["[]", secret("short-key")])
def test_a_bad_previous_version_is_ignored(
    store: InMemoryRotatingSecretStore, clock: FixedClock, alerter: RecordingAlerter, previous: str
) -> None:
    store.put(NAME, previous)
    store.put(NAME, secret(NEW))
    keyrings = keyrings_for(store, clock, alerter)
    assert passes(keyrings, NEW)
    assert alerter.alerts == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not JSON"),
        ("[1]", "must be a JSON object"),
        ('{"api_keys": "a,b"}', "'api_keys' must be a list of strings"),
        ('{"api_keys": [1]}', "'api_keys' must be a list of strings"),
        ('{"api_keys": [], "admin_keys": {}}', "'admin_keys' must be a list of strings"),
    ],
)
def test_each_malformed_secret_gets_its_own_message(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_key_secret(NAME, text)


def test_admin_keys_are_optional_and_other_fields_are_ignored() -> None:
    assert parse_key_secret(NAME, json.dumps({"api_keys": [OLD], "rotated_by": "lambda"})) == ([OLD], [])


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        _json_values.map(json.dumps),
        st.fixed_dictionaries({"api_keys": _json_values, "admin_keys": _json_values}).map(json.dumps),
    )
)
def test_any_secret_text_parses_or_is_one_configuration_error(text: str) -> None:
    refusal: str | None = None
    keys: list[str] = []
    try:
        clients, admin = parse_key_secret(NAME, text)
        keys = [*clients, *admin]
    except ConfigurationError as exc:
        refusal = str(exc)
    if refusal is not None:
        assert NAME in refusal
    assert all(isinstance(key, str) for key in keys)


class _GatedStore(InMemoryRotatingSecretStore):
    """Reads wait for ``gate``: a Secrets Manager call that hangs until it times out."""

    def __init__(self, secrets: dict[str, str]) -> None:
        super().__init__(secrets)
        self.gate = threading.Event()
        self.gate.set()

    def versions(self, name: str) -> SecretVersions:
        self.gate.wait(timeout=10)
        return super().versions(name)


def test_in_the_background_mode_a_hanging_read_holds_up_no_request(
    clock: FixedClock, alerter: RecordingAlerter
) -> None:
    store = _GatedStore({NAME: secret(OLD)})
    keyrings = Keyrings.from_json_secret(store, NAME, TTL_S, RETRY_S, alerter, clock).read_in_background()
    store.gate.clear()
    store.put(NAME, secret(NEW))
    later(clock, TTL_S)
    started = time.monotonic()
    for _ in range(50):
        assert passes(keyrings, OLD)
        assert not passes(keyrings, NEW)  # the read that has it is still hanging
    assert time.monotonic() - started < 1
    store.gate.set()
    deadline = time.monotonic() + 5
    while not passes(keyrings, NEW) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert passes(keyrings, NEW)
    assert store.reads == 2  # one read at a time: the 100 checks started one
