"""``predictor serve`` gives prometheus_client's multiprocess mode a fresh directory when
Prometheus is on (removed at exit), uses one the operator set as it is, and none when off."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from predictor.config import load_settings
from predictor.entrypoints.http.server import PROMETHEUS_DIR_VARIABLE, prometheus_directory, uvicorn_config


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
