"""The real adapter set chooses its adapters from the settings with Selectors; the in-memory set
keeps the same provider names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from dependency_injector import providers

from predictor.adapters.aws.cloudwatch import CloudWatchMetricsSink
from predictor.adapters.environment.secrets import EnvironmentSecretStore
from predictor.adapters.files.exported import ExportedModelCatalog
from predictor.adapters.logs.metrics import EmfMetricsSink, NullMetricsSink
from predictor.adapters.memory import InMemoryModelRegistry
from predictor.adapters.memory.container import InMemoryAdapters
from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder
from predictor.adapters.real import RealAdapters
from predictor.adapters.system.clock import SystemClock
from predictor.config import AlerterKind, MetricsSinkKind, SecretStoreKind, load_settings
from predictor.container import build_container
from predictor.domain.errors import ConfigurationError


@pytest.fixture(autouse=True)
def no_predictor_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("PREDICTOR_", "MLFLOW_")):
            monkeypatch.delenv(name)


def test_every_choice_has_its_adapter() -> None:
    assert isinstance(RealAdapters.metrics, providers.Selector)
    assert isinstance(RealAdapters.secrets, providers.Selector)
    assert set(RealAdapters.metrics.providers) == set(MetricsSinkKind)
    assert set(RealAdapters.secrets.providers) == set(SecretStoreKind)
    assert isinstance(RealAdapters.alerter, providers.Selector)
    assert set(RealAdapters.alerter.providers) == set(AlerterKind)


def test_both_adapter_sets_have_the_same_providers() -> None:
    assert set(RealAdapters.providers) == set(InMemoryAdapters.providers)


@pytest.mark.parametrize(
    ("sink", "kind"),
    [("emf", EmfMetricsSink), ("cloudwatch", CloudWatchMetricsSink), ("none", NullMetricsSink)],
)
def test_the_metrics_sink_follows_the_setting(sink: str, kind: type) -> None:
    container = build_container(load_settings(metrics_sink=sink))
    assert type(container.adapters.metrics()) is kind


@pytest.mark.parametrize("adapters", [RealAdapters, InMemoryAdapters])
def test_prometheus_is_recorded_only_when_enabled(adapters: type[RealAdapters]) -> None:
    off = build_container(load_settings(), adapters)
    assert off.adapters.prometheus() is None
    on = build_container(load_settings(prometheus_enabled=True), adapters)
    assert isinstance(on.adapters.prometheus(), PrometheusMetricsRecorder)


def test_an_exported_directory_is_served_without_a_registry(tmp_path: Path) -> None:
    real = build_container(load_settings(model_dir=tmp_path))
    fake = build_container(load_settings(model_dir=tmp_path), InMemoryAdapters)
    for container in (real, fake):
        assert isinstance(container.catalog(), ExportedModelCatalog)
        with pytest.raises(ConfigurationError, match="read-only"):
            container.adapters.registry()
    served = build_container(load_settings(), InMemoryAdapters)
    assert isinstance(served.catalog(), InMemoryModelRegistry)
    assert served.catalog() is served.adapters.registry()


def test_the_real_set_reads_secrets_where_settings_are_read(tmp_path: Path) -> None:
    (tmp_path / "PREDICTOR_API_KEYS").write_text("from-the-secrets-dir-0123")
    container = build_container(load_settings(secrets_dir=tmp_path))
    store = container.adapters.secrets()
    assert isinstance(store, EnvironmentSecretStore)
    assert list(store.get_list("PREDICTOR_API_KEYS")) == ["from-the-secrets-dir-0123"]


def test_the_clock_is_the_systems() -> None:
    assert isinstance(build_container(load_settings()).adapters.clock(), SystemClock)
