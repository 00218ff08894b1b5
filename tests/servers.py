"""Starting predictor's own commands as subprocesses on loopback, for integration and e2e tests."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from predictor.config import load_settings
from predictor.container import build_container
from predictor.domain.model import ModelRef
from predictor.services.training.pipeline import TrainingRequest

PREDICTOR = [sys.executable, "-m", "predictor"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This process's environment without any PREDICTOR_ or MLFLOW_ setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREDICTOR_", "MLFLOW_"))}


def local_env(workdir: Path, **extra: str) -> dict[str, str]:
    """An environment whose MLflow store, artifacts and cache all live in ``workdir``."""
    env = clean_env()
    env.update(
        {
            "PREDICTOR_MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
            "PREDICTOR_ARTIFACT_ROOT": str(workdir / "mlartifacts"),
            "PREDICTOR_CACHE_DIR": str(workdir / "cache"),
            "PREDICTOR_PROFILE": "test",
        }
    )
    env.update(extra)
    return env


def export_breast_cancer(work: Path, **training: Any) -> Path:
    """Train demo@production on Breast Cancer in a SQLite store under ``work`` and export it to
    ``work / "exported"``, in process; ``training``: more ``TrainingRequest`` fields."""
    settings = load_settings(
        mlflow_tracking_uri=f"sqlite:///{work / 'mlflow.db'}",
        artifact_root=str(work / "mlartifacts"),
        cache_dir=work / "cache",
    )
    container = build_container(settings)
    request = TrainingRequest(dataset="breast-cancer", register_as="demo", promote_to="production")
    container.train_model()(dataclasses.replace(request, **training))
    target = work / "exported"
    container.export_model()(ModelRef("demo", alias="production"), target)
    return target


def run_cli(
    args: list[str], env: Mapping[str, str], cwd: Path, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PREDICTOR, *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_ready(
    base_url: str,
    process: subprocess.Popen[Any],
    timeout: float = 90,
    path: str = "/health/ready",
    log: Path | None = None,
) -> None:
    """Until ``path`` answers 200; the server's ``log``, when given, in the error otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it was ready{_tail(log)}")
        try:
            if httpx.get(f"{base_url}{path}", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base_url} was not ready within {timeout} s{_tail(log)}")


def _tail(log: Path | None) -> str:
    return f":\n{log.read_text()}" if log is not None else ""


@contextmanager
def running(args: list[str], env: Mapping[str, str], cwd: Path, port: int) -> Iterator[tuple[str, Path]]:
    """Run ``predictor ARGS`` until it answers ready on ``port``; yield its URL and log file."""
    log_path = cwd / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*PREDICTOR, *args], env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base_url, process)
            yield base_url, log_path
        except BaseException:
            sys.stderr.write(log_path.read_text())
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class TrackingServer:
    """`predictor mlflow-server` on a loopback port, in its own process group (MLflow starts a
    uvicorn child), so ``kill`` takes the whole server down at once and ``start`` brings it
    back on the same port with the same stores."""

    def __init__(self, cwd: Path, env: Mapping[str, str], port: int | None = None) -> None:
        self.cwd = cwd
        self.env = dict(env)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = cwd / f"mlflow-server-{self.port}.log"
        self._process: subprocess.Popen[str] | None = None

    def start(self, timeout: float = 120) -> None:
        with self.log_path.open("a") as log:
            self._process = subprocess.Popen(
                [*PREDICTOR, "mlflow-server", "--port", str(self.port), "--workers", "1"],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"mlflow-server exited with {self._process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"mlflow-server was not up within {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the server and its children, as a crash would."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=20)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


@contextmanager
def tracking_server(cwd: Path, env: Mapping[str, str]) -> Iterator[TrackingServer]:
    server = TrackingServer(cwd, env)
    try:
        server.start()
        yield server
    finally:
        server.stop()
