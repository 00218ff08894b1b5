"""docs/compose.md's journey, run as written: every block marked ``<!-- local: NAME -->`` in a
bash shell at the repository root. ``python -m tools.compose_local up`` runs docker-compose.yml's
services as local processes (PostgreSQL being the one already running here, with a scratch
database of this test's own); the trainer finishes, the api becomes healthy and answers a
prediction with the key, and a new version promoted (by the trainer run again, then by
``predictor promote``) reaches the api. The aws profile's api reads its key from Secrets
Manager and its model from S3, on moto's server. The ``<!-- docker -->`` blocks need a Docker
engine, which this machine lacks; the first test checks that no other block goes unrun."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.servers import clean_env, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "compose.md"
BLOCK = re.compile(r"(?:<!-- (?P<mark>[^>]*) -->\n)?```bash\n(?P<body>.*?)```", re.DOTALL)
LOCAL = {"setup", "up", "predict", "train-again", "ready", "promote", "down", "up-aws", "predict-aws"}
LOCAL |= {"s3-artifacts"}
KEY = "dev-api-key-change-me-0123"  # the compose file's default, as the guide's commands use it
DEADLINE_S = 420  # a failure's limit on a busy machine, not a measurement


def guide_blocks() -> list[tuple[str | None, str]]:
    return [(match["mark"], match["body"]) for match in BLOCK.finditer(GUIDE.read_text())]


def block(name: str) -> str:
    (body,) = [body for mark, body in guide_blocks() if mark == f"local: {name}"]
    return body


def test_every_block_runs_here_or_needs_docker() -> None:
    marks = [mark for mark, _ in guide_blocks()]
    assert {mark.removeprefix("local: ") for mark in marks if mark and mark.startswith("local: ")} == LOCAL
    docker = [body for mark, body in guide_blocks() if mark == "docker"]
    assert docker
    assert all(line.startswith(("docker compose", "  ")) for body in docker for line in body.splitlines())
    assert len(marks) == len(LOCAL) + len(docker)
    readme = (ROOT / "README.md").read_text()
    assert block("up").strip() in readme  # the README's local equivalent is the guide's, run below


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    """The user's shell: free host ports for the published ones, a database of our own."""
    database = f"predictor_compose_{uuid.uuid4().hex[:10]}"
    ports = {name: str(free_port()) for name in ("API_PORT", "MLFLOW_PORT", "MOTO_PORT", "API_AWS_PORT")}
    clean = {k: v for k, v in clean_env().items() if not k.startswith(("AWS_", "POSTGRES_"))}
    yield {**clean, **ports, "POSTGRES_USER": "postgres", "POSTGRES_DB": database}
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def sh(name: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + block(name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )
    assert result.returncode == 0, f"{name}: {result.stdout}\n{result.stderr}"
    return result.stdout


@contextmanager
def stack(name: str, env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """The guide's ``up`` block in the background until the block ends; then Ctrl-C, as a user
    stops it, which must stop every service and exit 0."""
    log_path = tmp_path / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ["bash", "-c", "set -euo pipefail\n" + block(name)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        yield process
    except BaseException:
        print(log_path.read_text())  # noqa: T201  # the stack's own report, on failure only
        raise
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        code = process.wait(timeout=120)
    assert code == 0, log_path.read_text()


def ready(port: str, process: subprocess.Popen[str], version: str | None = None) -> dict[str, Any]:
    """/health/ready with the key once it answers 200 (naming ``version``, when given)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "the stack stopped"
        try:
            answer = httpx.get(f"http://127.0.0.1:{port}/health/ready", headers={"X-API-Key": KEY}, timeout=5)
        except httpx.TransportError:
            answer = None
        if answer is not None and answer.status_code == 200:
            body: dict[str, Any] = answer.json()
            if version is None or body["model"]["version"] == version:
                return body
        time.sleep(0.5)
    raise AssertionError(f"the api on {port} did not become ready (version {version})")


def refused(port: str) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=5)
    except httpx.ConnectError:
        return True
    return False


def test_the_stack_trains_serves_and_follows_promotions(env: dict[str, str], tmp_path: Path) -> None:
    sh("setup", env)
    with stack("up", env, tmp_path) as up:
        served = ready(env["API_PORT"], up)["model"]
        assert (served["name"], served["version"], served["alias"]) == ("demo", "1", "production")
        answer = json.loads(sh("predict", env))
        assert answer["model"]["version"] == "1"
        assert len(answer["predictions"]) == 1

        sh("train-again", env)
        ready(env["API_PORT"], up, version="2")
        assert json.loads(sh("ready", env))["model"]["version"] == "2"

        sh("promote", env)
        ready(env["API_PORT"], up, version="1")
        assert json.loads(sh("ready", env))["model"]["version"] == "1"
    assert refused(env["API_PORT"])
    assert refused(env["MLFLOW_PORT"])
    sh("down", env)


def test_the_aws_profile_serves_from_s3_with_keys_from_secrets_manager(
    env: dict[str, str], tmp_path: Path
) -> None:
    sh("setup", env)
    with stack("up-aws", env, tmp_path) as up:
        assert ready(env["API_AWS_PORT"], up)["model"]["name"] == "demo-aws"
        answer = json.loads(sh("predict-aws", env))
        assert (answer["model"]["name"], answer["model"]["version"]) == ("demo-aws", "1")
        wrong = httpx.get(
            f"http://127.0.0.1:{env['API_AWS_PORT']}/health/ready", headers={"X-API-Key": "x" * 24}, timeout=5
        )
        assert wrong.status_code == 401
        assert "/artifacts/model/" in sh("s3-artifacts", env)
        assert ready(env["API_PORT"], up)["model"]["name"] == "demo"  # the default api beside it
    assert refused(env["MOTO_PORT"])
    sh("down", env)
