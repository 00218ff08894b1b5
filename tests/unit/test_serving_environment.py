"""What `predictor serve` puts in its environment for the server's processes: the CLI's overrides,
and XGBoost's OpenMP threads told to sleep once a batch is scored, unless the operator chose."""

from __future__ import annotations

import os

import pytest

from predictor.config import load_settings
from predictor.entrypoints.cli.serve import serving_environment

EXPORTED = ("PREDICTOR_HOST", "PREDICTOR_PORT", "PREDICTOR_MODEL_DIR", "OMP_WAIT_POLICY")


def unset_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables ``serving_environment`` sets, unset now and restored after the test."""
    for name in EXPORTED:
        monkeypatch.setenv(name, "")  # recorded, so what the test sets is undone
        monkeypatch.delenv(name)


def test_serve_exports_its_overrides_and_lets_openmp_threads_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_afterwards(monkeypatch)
    serving_environment(load_settings(port=9123))
    assert os.environ["PREDICTOR_PORT"] == "9123"
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"


def test_an_openmp_wait_policy_already_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_afterwards(monkeypatch)
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    serving_environment(load_settings())
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
