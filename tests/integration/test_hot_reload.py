"""Serving through changes and failures, with real processes on loopback: an MLflow tracking
server (`predictor mlflow-server`, SQLite) and `predictor serve` polling the alias every second.

Clients send predictions continuously from several threads while the alias moves to a new
version and back, and while the tracking server is killed and restarted on the same port.
No request may fail, every answer names a version the alias held, each move shows up within
two poll intervals, readiness stays 200 throughout, and the outage is alerted once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sklearn.datasets import load_breast_cancer

from predictor.adapters.mlflow.registry import MlflowModelRegistry
from predictor.adapters.system.clock import SystemClock
from predictor.domain.model import ModelRef
from predictor.services.registry.promotion import PromoteModel, RollbackModel
from tests.servers import clean_env, free_port, run_cli, running, tracking_server

pytestmark = pytest.mark.integration

INTERVAL_S = 1.0
# The acceptance point: a move shows up within two poll intervals. The slack covers the
# refresh itself (resolve, download once, load, smoke prediction) on a busy 2-core machine.
WITHIN_S = 2 * INTERVAL_S + 0.5
API_KEY = "chaos-client-key-0123456789"
ADMIN_KEY = "chaos-admin-key-0123456789"
MAX_SECONDS = 180  # the clients stop by themselves at the latest after this long ...
MAX_REQUESTS = 60_000  # ... or this many requests


@dataclass(frozen=True)
class Answer:
    sent: float
    received: float
    status: int | None
    version: str | None
    body_version: str | None
    error: str | None = None


class Traffic:
    """Threads each posting one row to /predict in a loop, recording every answer."""

    def __init__(self, base_url: str, row: dict[str, float], threads: int = 4, pause: float = 0.02) -> None:
        self._url = f"{base_url}/predict"
        self._body = {"instances": [row]}
        self._pause = pause
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.answers: list[Answer] = []
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        deadline = time.monotonic() + MAX_SECONDS
        with httpx.Client(headers={"X-API-Key": API_KEY}, timeout=10) as client:
            while (
                not self._stop.is_set() and time.monotonic() < deadline and len(self.answers) < MAX_REQUESTS
            ):
                sent = time.monotonic()
                try:
                    response = client.post(self._url, json=self._body)
                    body_version = (
                        response.json()["model"]["version"] if response.status_code == 200 else None
                    )
                    answer = Answer(
                        sent,
                        time.monotonic(),
                        response.status_code,
                        response.headers.get("X-Model-Version"),
                        body_version,
                    )
                except httpx.HTTPError as exc:
                    answer = Answer(sent, time.monotonic(), None, None, None, repr(exc))
                with self._lock:
                    self.answers.append(answer)
                time.sleep(self._pause)

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def first(self, version: str, after: float) -> float | None:
        """When the first answer from ``version`` arrived after ``after``."""
        with self._lock:
            times = [a.received for a in self.answers if a.version == version and a.received > after]
        return min(times, default=None)


class Readiness:
    """A thread asking /health/ready every 100 ms, recording each status."""

    def __init__(self, base_url: str) -> None:
        self._url = f"{base_url}/health/ready"
        self._stop = threading.Event()
        self.statuses: list[int | str] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        deadline = time.monotonic() + MAX_SECONDS
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                self.statuses.append(httpx.get(self._url, timeout=10).status_code)
            except httpx.HTTPError as exc:
                self.statuses.append(repr(exc))
            self._stop.wait(0.1)

    def __enter__(self) -> Readiness:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def log_events(path: Path) -> list[dict[str, Any]]:
    events = []
    for line in path.read_text().splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue  # uvicorn's own start-up lines
    return events


def test_serving_continues_through_alias_moves_and_a_tracking_server_outage(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    with tracking_server(tmp_path, clean_env()) as mlflow:
        client_env = {**clean_env(), "PREDICTOR_MLFLOW_TRACKING_URI": mlflow.url, "PREDICTOR_PROFILE": "test"}
        trained = run_cli(
            ["train", "--dataset", "breast-cancer", "--register", "demo", "--promote", "production"],
            client_env,
            tmp_path,
        )
        assert trained.returncode == 0, trained.stderr
        registry = MlflowModelRegistry(mlflow.url)
        first = registry.resolve(ModelRef("demo", version="1"))
        second = registry.register("demo", first.source, first.run_id, {}).version
        promote, rollback = PromoteModel(registry, SystemClock()), RollbackModel(registry, SystemClock())

        port = free_port()
        serve_env = {
            **client_env,
            "PREDICTOR_API_KEYS": API_KEY,
            "PREDICTOR_ADMIN_API_KEYS": ADMIN_KEY,
            "PREDICTOR_CACHE_DIR": str(tmp_path / "cache"),
            "PREDICTOR_RELOAD_INTERVAL_S": str(INTERVAL_S),
            "PREDICTOR_LOG_JSON": "true",
        }
        data = load_breast_cancer()
        row = dict(zip(data.feature_names, map(float, data.data[0]), strict=True))
        latencies: dict[str, float] = {}
        with (
            running(["serve", "--port", str(port)], serve_env, tmp_path, port) as (base_url, serve_log),
            Readiness(base_url) as readiness,
            Traffic(base_url, row) as traffic,
        ):

            def move(label: str, change: Callable[[], object], version: str) -> None:
                change()
                moved = time.monotonic()
                arrived = wait_for(lambda: traffic.first(version, after=moved), 30, f"version {version}")
                latencies[label] = round(arrived - moved, 3)

            time.sleep(1)
            move("promote 1->2", lambda: promote("demo", second, "production", by="chaos"), second)
            move("rollback 2->1", lambda: rollback("demo", "production", by="chaos"), "1")

            mlflow.kill()
            outage_started = time.monotonic()
            time.sleep(3.5 * INTERVAL_S)  # several polls into the outage
            mlflow.start()
            outage_s = round(time.monotonic() - outage_started, 1)

            def recovered() -> bool:
                return any(e.get("event") == "registry reachable again" for e in log_events(serve_log))

            wait_for(recovered, 30, "recovery after the outage")
            move(
                "promote 1->2 after the outage",
                lambda: promote("demo", second, "production", by="chaos"),
                second,
            )
            time.sleep(1)
            reload = httpx.post(f"{base_url}/v1/models/reload", headers={"X-API-Key": ADMIN_KEY}, timeout=30)

    answers = traffic.answers
    failed = [a for a in answers if a.status != 200]
    figures = {
        "requests": len(answers),
        "failed": len(failed),
        "reload_latency_s": latencies,
        "outage_s": outage_s,
        "readiness_checks": len(readiness.statuses),
    }
    record_property("hot_reload", figures)
    print(f"\nhot reload figures: {json.dumps(figures)}")  # noqa: T201  # for docs/lifecycle.md (pytest -s)

    assert failed == [], failed[:5]
    assert {a.version for a in answers} == {"1", second}  # only versions the alias held
    assert all(a.version == a.body_version for a in answers)
    assert all(latency <= WITHIN_S for latency in latencies.values()), latencies
    assert set(readiness.statuses) == {200}
    assert reload.status_code == 200
    assert reload.json()["outcome"] == "unchanged"

    # The dev profile's stores, in the tracking server's working directory.
    assert (tmp_path / "mlflow.db").is_file()
    assert list((tmp_path / "mlartifacts").rglob("model.ubj"))

    events = log_events(serve_log)
    alerts = [e for e in events if e.get("logger") == "predictor.alerts"]
    # Once for the one outage, and once at its end.
    assert [(e["alert"], e["state"]) for e in alerts] == [
        ("registry unreachable", "firing"),
        ("registry unreachable", "resolved"),
    ]
    assert len([e for e in events if e.get("event") == "registry reachable again"]) == 1
    downloads = [e["version"] for e in events if e.get("event") == "model version downloaded"]
    assert sorted(downloads) == ["1", second]  # version 2 came back from the cache
