"""A shadow challenger on a real server, and the promote gate reading its figures.

``predictor serve`` (uvicorn, on loopback) serves demo@production from MLflow on SQLite with
demo@challenger as its shadow; clients send predictions; ``predictor promote --if-shadow-agrees``
then reads the summary from that server and promotes, or exits 9 naming the figure that failed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sklearn.datasets import load_breast_cancer

from predictor.config import load_settings
from predictor.container import build_container
from predictor.domain.model import ModelRef
from predictor.services.training.pipeline import TrainingRequest
from tests.servers import free_port, local_env, run_cli, running

pytestmark = pytest.mark.integration

API_KEY = "client-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
REQUESTS = 40
PATIENCE_S = 60.0  # a ceiling on waiting for the shadow, not a figure under test


def train_two_versions(work: Path) -> None:
    """demo version 1 as production, version 2 (another seed) as challenger, in SQLite."""
    settings = load_settings(
        mlflow_tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        artifact_root=str(work / "mlartifacts"),
        cache_dir=work / "cache",
    )
    container = build_container(settings)
    for alias, seed in (("production", 1), ("challenger", 2)):
        request = TrainingRequest(
            dataset="breast-cancer", register_as="demo", promote_to=alias, seed=seed, plots=False
        )
        container.train_model()(request)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("shadow")
    train_two_versions(work)
    return work


@pytest.fixture(scope="module")
def env(work: Path) -> dict[str, str]:
    return local_env(
        work,
        PREDICTOR_API_KEYS=API_KEY,
        PREDICTOR_ADMIN_API_KEYS=ADMIN_KEY,
        PREDICTOR_SHADOW_MODEL="demo@challenger",
        PREDICTOR_RELOAD_INTERVAL_S="0",
        PREDICTOR_METRICS_SINK="none",
    )


@pytest.fixture(scope="module")
def server(work: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    with running(["serve", "--port", str(port)], env, work, port) as (url, _):
        yield url


def summary(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/v1/models/demo/shadow", headers={"X-API-Key": ADMIN_KEY}, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for(url: str, done: Any) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE_S
    body = summary(url)
    while not done(body) and time.monotonic() < deadline:
        time.sleep(0.1)
        body = summary(url)
    return body


@pytest.fixture(scope="module")
def shadowed(server: str) -> dict[str, Any]:
    """The summary once the shadow has scored ``REQUESTS`` requests of real rows."""
    assert wait_for(server, lambda b: b["shadow_version"] is not None)["shadow_version"] == "2"
    data = load_breast_cancer()
    with httpx.Client(headers={"X-API-Key": API_KEY}, timeout=30) as client:
        for i in range(REQUESTS):
            rows = [
                dict(zip(data.feature_names, map(float, data.data[i * 5 + k]), strict=True)) for k in range(5)
            ]
            assert client.post(f"{server}/predict", json={"instances": rows}).status_code == 200
    return wait_for(server, lambda b: b["pairs"] and b["pairs"][0]["requests"] >= REQUESTS)


def promote(work: Path, env: dict[str, str], server: str, *extra: str, key: str = ADMIN_KEY) -> Any:
    args = ["promote", "demo", "--version", "2", "--to", "production", "--if-shadow-agrees"]
    return run_cli([*args, "--server", server, *extra], {**env, "PREDICTOR_ADMIN_KEY": key}, work)


def production(work: Path) -> str:
    settings = load_settings(mlflow_tracking_uri=f"sqlite:///{work / 'mlflow.db'}")
    version: str = (
        build_container(settings).adapters.registry().resolve(ModelRef("demo", alias="production")).version
    )
    return version


def test_the_summary_holds_the_pairs_figures(shadowed: dict[str, Any]) -> None:
    (pair,) = shadowed["pairs"]
    assert (pair["champion_version"], pair["shadow_version"]) == ("1", "2")
    assert (pair["requests"], pair["rows"], pair["errors"], pair["incompatible"]) == (
        REQUESTS,
        5 * REQUESTS,
        0,
        0,
    )
    assert 0.5 <= pair["agreement"] <= 1  # two fits of the same data mostly agree
    assert 0 <= pair["mean_difference"] <= pair["max_difference"] <= 1
    assert shadowed["dropped"] == 0


def test_too_few_requests_stop_the_promotion(
    work: Path, env: dict[str, str], server: str, shadowed: dict[str, Any]
) -> None:
    outcome = promote(work, env, server)  # the default: 1000 requests

    assert outcome.returncode == 9, outcome.stderr
    needs = f"the shadow scored {REQUESTS} requests; the gate needs 1000"
    assert outcome.stderr.strip() == f"error: not promoted: {needs} (champion 1, shadow 2)"
    assert production(work) == "1"


def test_a_refused_key_and_an_unreachable_server_are_one_line_each(
    work: Path, env: dict[str, str], server: str, shadowed: dict[str, Any]
) -> None:
    refused = promote(work, env, server, key="not-a-key-0123456789")
    unreachable = promote(work, env, f"http://127.0.0.1:{free_port()}")

    assert refused.returncode == 7, refused.stderr
    assert refused.stderr.startswith("error: the server at")
    assert "answered 401" in refused.stderr
    assert unreachable.returncode == 4, unreachable.stderr
    assert "cannot be reached" in unreachable.stderr
    assert len(refused.stderr.strip().splitlines()) == len(unreachable.stderr.strip().splitlines()) == 1
    assert production(work) == "1"


def test_a_pair_that_meets_the_thresholds_is_promoted(
    work: Path, env: dict[str, str], server: str, shadowed: dict[str, Any]
) -> None:
    outcome = promote(
        work,
        env,
        server,
        "--min-shadow-requests",
        str(REQUESTS),
        "--min-agreement",
        "0.5",
        "--max-difference",
        "1",
    )

    assert outcome.returncode == 0, outcome.stderr
    assert "models:/demo@production: 1 -> 2 (promoted by" in outcome.stdout
    assert production(work) == "2"
