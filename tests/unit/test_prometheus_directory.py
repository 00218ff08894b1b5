"""``predictor serve`` gives prometheus_client's multiprocess mode a fresh directory when
Prometheus is on (removed at exit), uses one the operator set as it is, and none when off; with
``PREDICTOR_PROMETHEUS_PORT`` it answers scrapes on that port itself."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder
from predictor.config import load_settings
from predictor.domain.ports import Counted
from predictor.entrypoints.http.server import (
    PROMETHEUS_DIR_VARIABLE,
    prometheus_directory,
    prometheus_listener,
    uvicorn_config,
)
from tests.servers import free_port


def test_prometheus_on_gets_a_fresh_directory_removed_at_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROMETHEUS_DIR_VARIABLE, raising=False)
    with prometheus_directory(load_settings(prometheus_enabled=True)):
        directory = Path(os.environ[PROMETHEUS_DIR_VARIABLE])
        assert directory.is_dir()
        assert list(directory.iterdir()) == []
        (directory / "counter_1.db").write_bytes(b"")
    assert PROMETHEUS_DIR_VARIABLE not in os.environ
    assert not directory.exists()


def test_a_directory_the_operator_set_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(PROMETHEUS_DIR_VARIABLE, str(tmp_path))
    (tmp_path / "counter_1.db").write_bytes(b"")
    with prometheus_directory(load_settings(prometheus_enabled=True)):
        assert os.environ[PROMETHEUS_DIR_VARIABLE] == str(tmp_path)
    assert (tmp_path / "counter_1.db").exists()


def test_prometheus_off_sets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROMETHEUS_DIR_VARIABLE, raising=False)
    with prometheus_directory(load_settings()):
        assert PROMETHEUS_DIR_VARIABLE not in os.environ


def test_workers_are_given_time_to_start_on_a_busy_host() -> None:
    config = uvicorn_config(load_settings(workers=2))
    assert config.timeout_worker_healthcheck > 5  # uvicorn's default killed slow-starting workers


def test_a_prometheus_port_answers_scrapes_from_the_serving_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROMETHEUS_DIR_VARIABLE, raising=False)
    port = free_port()
    settings = load_settings(prometheus_enabled=True, prometheus_port=port)
    with prometheus_directory(settings), prometheus_listener(settings):
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
    with pytest.raises(httpx.TransportError):  # closed with the server
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)


def test_the_recorder_serves_what_it_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROMETHEUS_DIR_VARIABLE, raising=False)
    recorder = PrometheusMetricsRecorder()
    recorder.count(Counted.ROWS_PREDICTED, 7, model="demo", version="3")
    port = free_port()
    stop = recorder.serve("127.0.0.1", port)
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    finally:
        stop()
    assert 'predictor_rows_predicted_total{model="demo",version="3"} 7.0' in text
