"""Metrics of a served model, as served: ``predictor serve --workers 2`` with Prometheus on
(whichever worker answers a scrape, the counts are the whole service's: prometheus_client's
multiprocess mode), and ``PREDICTOR_METRICS_SINK=cloudwatch`` sending to moto's server on
loopback (``PutMetricData`` over HTTP, read back with ``GetMetricStatistics``)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sklearn.datasets import load_breast_cancer

from tests import aws
from tests.aws_metrics import FAKE_CREDENTIALS, cloudwatch_client, fake_aws_env, statistics
from tests.servers import export_breast_cancer, free_port, local_env, running

pytestmark = pytest.mark.integration

API_KEY = "client-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_breast_cancer(tmp_path_factory.mktemp("export"), plots=False)


@pytest.fixture(scope="module")
def served(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    work = tmp_path_factory.mktemp("serve")
    values = work / "prometheus"  # set here, so the test can see which workers wrote
    values.mkdir()
    port = free_port()
    env = local_env(
        work,
        PREDICTOR_API_KEYS=API_KEY,
        PREDICTOR_ADMIN_API_KEYS=ADMIN_KEY,
        PREDICTOR_PROMETHEUS_ENABLED="true",
        PREDICTOR_METRICS_SINK="none",
        PROMETHEUS_MULTIPROC_DIR=str(values),
    )
    args = ["serve", "--port", str(port), "--workers", "2", "--model-dir", str(exported)]
    with running(args, env, work, port) as (url, _):
        yield url, values


def _example() -> dict[str, object]:
    data = load_breast_cancer()
    return {"instances": [dict(zip(data.feature_names, map(float, data.data[0]), strict=True))]}


def _predict(url: str, body: dict[str, object]) -> int:
    # A new connection each time, so the kernel hands requests to both workers.
    with httpx.Client(timeout=30) as client:
        return client.post(f"{url}/predict", json=body, headers={"X-API-Key": API_KEY}).status_code


def _writers(values: Path) -> set[str]:
    return {m.group(1) for f in values.iterdir() if (m := re.fullmatch(r"counter_(\d+)\.db", f.name))}


def _requests_counted(url: str) -> float:
    text = httpx.get(f"{url}/metrics", headers={"X-API-Key": ADMIN_KEY}, timeout=30).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "predictor_requests_total" and s.labels["route"] == "/predict"
    )


def test_every_scrape_counts_every_workers_requests(served: tuple[str, Path]) -> None:
    url, values = served
    body = _example()
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        # Until both workers have counted something (a bounded number of rounds).
        for _ in range(20):
            statuses = list(pool.map(lambda _: _predict(url, body), range(40)))
            assert set(statuses) == {200}, statuses
            sent += len(statuses)
            if len(_writers(values)) >= 2:
                break
    assert len(_writers(values)) >= 2, "one worker answered every request; nothing to add up"
    # Each scrape is answered by one worker or the other; every one sees the total.
    assert [_requests_counted(url) for _ in range(10)] == [float(sent)] * 10


@pytest.fixture
def moto_server() -> Iterator[str]:
    """moto's server on a free loopback port, its backends empty; its URL."""
    with aws.moto_server() as url:
        yield url


def test_served_requests_reach_cloudwatch_by_put_metric_data(
    exported: Path, tmp_path: Path, moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_aws_env(monkeypatch, moto_server)  # for this test's own client
    port = free_port()
    env = local_env(
        tmp_path,
        PREDICTOR_API_KEYS=API_KEY,
        PREDICTOR_METRICS_SINK="cloudwatch",
        PREDICTOR_METRICS_NAMESPACE="predictor-served",
        PREDICTOR_METRICS_FLUSH_S="0.2",
        AWS_ENDPOINT_URL=moto_server,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_CONFIG_FILE=os.devnull,
        **FAKE_CREDENTIALS,
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_CLOUDWATCH"):
        env.pop(name, None)
    body = _example()
    with running(["serve", "--port", str(port), "--model-dir", str(exported)], env, tmp_path, port) as (
        url,
        _,
    ):
        assert [_predict(url, body) for _ in range(5)] == [200] * 5
        client = cloudwatch_client(moto_server)
        dims = {"route": "/predict", "status": "2xx"}
        deadline = time.monotonic() + 60  # a few flushes; generous, the machine is shared
        while statistics(client, "requests", dims, "predictor-served")["Sum"] < 5:
            assert time.monotonic() < deadline, "the requests never reached CloudWatch"
            time.sleep(0.2)
        rows = statistics(client, "rows_predicted", {"model": "demo", "version": "1"}, "predictor-served")
    assert statistics(client, "requests", dims, "predictor-served")["Sum"] == 5
    assert rows["Sum"] == 5
    assert statistics(client, "latency", dims, "predictor-served")["SampleCount"] == 5
