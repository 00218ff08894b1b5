"""Every trouble the service alerts, wired as the container wires it (the gate in front of the
recording alerter): a failed load, a fallback, a registry outage, a refused version and a high
error rate, each alerted once with its model, version and error class, and resolved once."""

from __future__ import annotations

from pathlib import Path

import pytest

from predictor.adapters.memory import RecordingAlerter
from predictor.container import Container
from predictor.domain.alerts import (
    ERROR_RATE_HIGH,
    FALLBACK,
    MODEL_LOAD_FAILED,
    MODEL_REFUSED,
    REGISTRY_UNREACHABLE,
)
from predictor.domain.errors import ModelUnavailable
from tests.unit.builders import memory_container, train_demo
from tests.unit.variants import PRODUCTION, register_variant, registry_of


def recorded(container: Container) -> RecordingAlerter:
    alerter = container.adapters.alerter()
    assert isinstance(alerter, RecordingAlerter)
    return alerter


def subjects(alerts: RecordingAlerter) -> tuple[list[str], list[str]]:
    return [a.subject for a in alerts.alerts], [a.subject for a in alerts.resolved]


@pytest.fixture
def loaded() -> Container:
    container = memory_container(alerts_service="predictor-unit")
    train_demo(container)
    container.load_model()(PRODUCTION)
    return container


def test_a_failed_load_retried_many_times_is_alerted_once_and_resolved_by_the_load(tmp_path: Path) -> None:
    container = memory_container()
    train_demo(container)
    registry_of(container).offline = True
    for _ in range(50):  # the keeper's retries
        with pytest.raises(ModelUnavailable):
            container.load_model()(PRODUCTION)
    registry_of(container).offline = False
    container.load_model()(PRODUCTION)
    alerts = recorded(container)
    assert subjects(alerts) == ([MODEL_LOAD_FAILED], [MODEL_LOAD_FAILED])
    (alert,) = alerts.alerts
    assert (alert.model, alert.error, alert.service) == ("demo", "ModelUnavailable", "predictor")


def test_a_fallback_is_alerted_with_its_version_and_resolved_when_the_registry_swaps_in(
    loaded: Container, tmp_path: Path
) -> None:
    registry = registry_of(loaded)
    registry.offline = True
    loaded.load_model()(PRODUCTION)  # a restart while the registry is down: the cached version
    alerts = recorded(loaded)
    (alert,) = alerts.alerts
    assert (alert.subject, alert.model, alert.version, alert.error, alert.service) == (
        FALLBACK,
        "demo",
        "1",
        "ModelUnavailable",
        "predictor-unit",
    )
    assert alert.context["origin"] == "cache"
    registry.offline = False
    registry.set_alias("demo", "production", register_variant(loaded, tmp_path))
    loaded.refresh_model()(PRODUCTION)
    assert subjects(alerts) == ([FALLBACK], [FALLBACK])


def test_a_registry_outage_polled_many_times_is_alerted_once_and_resolved_once(loaded: Container) -> None:
    registry = registry_of(loaded)
    registry.offline = True
    for _ in range(100):
        loaded.refresh_model()(PRODUCTION)
    registry.offline = False
    for _ in range(3):
        loaded.refresh_model()(PRODUCTION)
    alerts = recorded(loaded)
    assert subjects(alerts) == ([REGISTRY_UNREACHABLE], [REGISTRY_UNREACHABLE])
    (alert,) = alerts.alerts
    assert (alert.model, alert.version, alert.error) == ("demo", "1", "ModelUnavailable")


def test_a_refused_version_is_alerted_and_resolved_when_a_good_one_serves(
    loaded: Container, tmp_path: Path
) -> None:
    registry = registry_of(loaded)
    broken = register_variant(loaded, tmp_path, corrupt=True)
    registry.set_alias("demo", "production", broken)
    for _ in range(5):
        loaded.refresh_model()(PRODUCTION)
    registry.set_alias("demo", "production", register_variant(loaded, tmp_path))
    loaded.refresh_model()(PRODUCTION)
    alerts = recorded(loaded)
    assert subjects(alerts) == ([MODEL_REFUSED], [MODEL_REFUSED])
    assert alerts.alerts[0].version == broken
    assert alerts.alerts[0].error


def test_a_burst_of_5xx_on_the_request_path_is_one_error_rate_alert(loaded: Container) -> None:
    metrics = loaded.request_metrics()
    for i in range(200):
        metrics.observe("/v1/predict", 200, 1.0, f"ok-{i}")
    for i in range(100):
        metrics.observe("/v1/predict", 503, 1.0, f"failed-{i}")
    alerts = recorded(loaded)
    (alert,) = alerts.alerts
    assert (alert.subject, alert.model, alert.version) == (ERROR_RATE_HIGH, "demo", "1")
    assert alert.request_id.startswith("failed-")


def test_the_error_rate_alarm_can_be_turned_off() -> None:
    container = memory_container(error_rate_threshold=0)
    metrics = container.request_metrics()
    for i in range(100):
        metrics.observe("/v1/predict", 500, 1.0, f"failed-{i}")
    assert recorded(container).alerts == []
