"""AlertGate: one message per trouble per window and one "resolved" at its end; ErrorRateAlarm:
5xx over a threshold within a window raises one alert through the gate, and its fall resolves it.
Both are driven by an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from predictor.adapters.memory import FixedClock, RecordingAlerter
from predictor.domain.alerts import ERROR_RATE_HIGH, REGISTRY_UNREACHABLE, Alert
from predictor.services.alerting import AlertGate, ErrorRateAlarm

WINDOW_S = 900.0
OUTAGE = Alert(REGISTRY_UNREACHABLE, "the registry cannot be reached", model="demo", version="3")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def sent() -> RecordingAlerter:
    return RecordingAlerter()


@pytest.fixture
def gate(sent: RecordingAlerter, clock: FixedClock) -> AlertGate:
    return AlertGate(sent, clock, WINDOW_S, service="predictor-test")


def later(clock: FixedClock, seconds: float) -> None:
    clock.at += timedelta(seconds=seconds)


def test_an_outage_alerted_thousands_of_times_sends_one_message_and_one_resolved(
    gate: AlertGate, sent: RecordingAlerter, clock: FixedClock
) -> None:
    for _ in range(5000):
        gate.alert(OUTAGE)
        later(clock, 0.1)
    gate.resolve(OUTAGE)
    gate.resolve(OUTAGE)  # a second recovery of the same outage says nothing
    assert [(a.subject, a.model, a.service) for a in sent.alerts] == [
        (REGISTRY_UNREACHABLE, "demo", "predictor-test")
    ]
    (resolved,) = sent.resolved
    assert (resolved.subject, resolved.model, resolved.service) == (
        REGISTRY_UNREACHABLE,
        "demo",
        "predictor-test",
    )
    assert resolved.context["held_back"] == "4999"
    assert resolved.context["lasted_s"] == "500.0"
    assert gate.firing() == []


def test_an_outage_longer_than_the_window_sends_one_reminder_per_window(
    gate: AlertGate, sent: RecordingAlerter, clock: FixedClock
) -> None:
    for _ in range(30):  # 30 polls a minute apart: two windows of 15 minutes
        gate.alert(OUTAGE)
        later(clock, 60)
    assert len(sent.alerts) == 2
    assert sent.alerts[1].context["held_back"] == "14"


def test_troubles_are_told_apart_by_subject_and_model(gate: AlertGate, sent: RecordingAlerter) -> None:
    other_model = Alert(REGISTRY_UNREACHABLE, "down", model="churn")
    other_trouble = Alert("model load failed", "bad", model="demo")
    for alert in (OUTAGE, other_model, other_trouble, OUTAGE, other_model):
        gate.alert(alert)
    assert len(sent.alerts) == 3
    assert gate.firing() == [
        ("model load failed", "demo"),
        (REGISTRY_UNREACHABLE, "churn"),
        (REGISTRY_UNREACHABLE, "demo"),
    ]
    gate.resolve(other_model)
    assert [(a.subject, a.model) for a in sent.resolved] == [(REGISTRY_UNREACHABLE, "churn")]


def test_resolving_what_was_never_alerted_sends_nothing(gate: AlertGate, sent: RecordingAlerter) -> None:
    gate.resolve(OUTAGE)
    assert sent.resolved == []


def test_a_new_outage_after_a_resolved_one_is_alerted_again(gate: AlertGate, sent: RecordingAlerter) -> None:
    gate.alert(OUTAGE)
    gate.resolve(OUTAGE)
    gate.alert(OUTAGE)
    assert len(sent.alerts) == 2


class _Broken(RecordingAlerter):
    def alert(self, alert: Alert) -> None:
        raise RuntimeError("an alerter that breaks the contract")

    def resolve(self, alert: Alert) -> None:
        raise RuntimeError("likewise")


def test_an_alerter_that_raises_does_not_break_what_alerted(clock: FixedClock) -> None:
    gate = AlertGate(_Broken(), clock, WINDOW_S)
    gate.alert(OUTAGE)
    gate.resolve(OUTAGE)
    assert gate.firing() == []


def alarm_for(gate: AlertGate, clock: FixedClock) -> ErrorRateAlarm:
    return ErrorRateAlarm(gate, clock, threshold=0.1, window_s=60, min_requests=20)


def answer(alarm: ErrorRateAlarm, clock: FixedClock, statuses: list[int], every_s: float = 0.1) -> None:
    for i, status in enumerate(statuses):
        alarm.observe(status, "demo", "3", f"req-{i}")
        later(clock, every_s)


def test_errors_over_the_threshold_raise_one_alert_and_recovery_one_resolved(
    gate: AlertGate, sent: RecordingAlerter, clock: FixedClock
) -> None:
    alarm = alarm_for(gate, clock)
    answer(alarm, clock, [200] * 50)
    assert sent.alerts == []
    answer(alarm, clock, [500, 200, 503, 200] * 250)  # half of them fail, for 100 s
    (alert,) = sent.alerts
    assert (alert.subject, alert.model, alert.version, alert.error) == (
        ERROR_RATE_HIGH,
        "demo",
        "3",
        "ServerError",
    )
    assert alert.request_id.startswith("req-")
    assert "5xx" in alert.detail
    assert float(alert.context["error_rate"]) >= 0.1
    answer(alarm, clock, [200] * 1000)  # 100 s of successes: the window holds no error
    (resolved,) = sent.resolved
    assert resolved.subject == ERROR_RATE_HIGH
    assert len(sent.alerts) == 1


def test_too_few_requests_decide_nothing(gate: AlertGate, sent: RecordingAlerter, clock: FixedClock) -> None:
    alarm = alarm_for(gate, clock)
    answer(alarm, clock, [500] * 19)
    assert sent.alerts == []
    answer(alarm, clock, [500])
    assert len(sent.alerts) == 1


def test_errors_spread_wider_than_the_window_stay_under_the_threshold(
    gate: AlertGate, sent: RecordingAlerter, clock: FixedClock
) -> None:
    alarm = alarm_for(gate, clock)
    # One 5xx in 20 requests (5 %), for ten minutes: under 10 % at any time.
    answer(alarm, clock, ([500] + [200] * 19) * 300)
    assert sent.alerts == []


def test_old_errors_leave_the_window(gate: AlertGate, sent: RecordingAlerter, clock: FixedClock) -> None:
    alarm = alarm_for(gate, clock)
    answer(alarm, clock, [500] * 30)
    assert len(sent.alerts) == 1
    later(clock, 120)  # a quiet spell longer than the window
    answer(alarm, clock, [200] * 20)
    assert len(sent.resolved) == 1


def test_client_errors_and_closed_requests_are_not_server_errors(
    gate: AlertGate, sent: RecordingAlerter, clock: FixedClock
) -> None:
    alarm = alarm_for(gate, clock)
    answer(alarm, clock, [400, 401, 404, 413, 429, 499] * 20)
    assert sent.alerts == []
