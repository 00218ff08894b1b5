"""Server workers share the machine's CPUs for big batches: one worker's XGBoost thread team
uses every CPU, N workers get 1/N of them each, so workers scoring at once never run more
threads than there are CPUs; and XGBoost's OpenMP threads sleep once a batch is scored."""

from __future__ import annotations

import os

import pytest

from predictor.adapters.xgboost.cpus import available_cpus, threads_per_worker
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.config import load_settings
from predictor.container import build_container
from predictor.entrypoints.cli.serve import serving_environment


@pytest.mark.parametrize("workers", [1, 2, 3, 64])
def test_each_worker_gets_its_share_of_the_cpus_and_at_least_one(workers: int) -> None:
    threads = threads_per_worker(workers)
    if workers == 1:
        assert threads == 0  # XGBoost's own default: every CPU
    else:
        assert threads == max(1, available_cpus() // workers)
        assert threads * workers <= max(available_cpus(), workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_container_gives_the_runtime_the_servers_worker_count(workers: int) -> None:
    runtime = build_container(load_settings(workers=workers)).adapters.runtime()
    assert isinstance(runtime, XGBoostRuntime)
    assert runtime.threads == threads_per_worker(workers)


EXPORTED = ("PREDICTOR_HOST", "PREDICTOR_PORT", "PREDICTOR_WORKERS", "PREDICTOR_MODEL_DIR", "OMP_WAIT_POLICY")


def unset_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variables ``serving_environment`` sets, unset now and restored after the test."""
    for name in EXPORTED:
        monkeypatch.setenv(name, "")  # recorded, so what the test sets is undone
        monkeypatch.delenv(name)


def test_serve_exports_the_worker_count_and_lets_openmp_threads_sleep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unset_afterwards(monkeypatch)
    serving_environment(load_settings(workers=2))
    assert os.environ["PREDICTOR_WORKERS"] == "2"
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"


def test_an_openmp_wait_policy_already_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_afterwards(monkeypatch)
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    serving_environment(load_settings())
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
