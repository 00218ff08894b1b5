"""The services of a compose file as local processes, started in dependency order, each
waited on as its dependents ask (started, healthy, completed successfully), stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tools.compose_local.localize import LocalService, addresses, localize
from tools.compose_local.spec import load, services

HEALTH_POLL_S = 1.0
STOP_GRACE_S = 20.0


class ServiceFailed(RuntimeError):
    """A service exited when it should not have, or did not become healthy in time."""


class Stack:
    """Local processes for the services; ``external`` ones are already running elsewhere."""

    def __init__(self, chosen: list[LocalService], external: set[str], timeout_s: float) -> None:
        self.services = {one.name: one for one in chosen}
        self._external = external
        self._timeout_s = timeout_s
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def up(self) -> None:
        for one in self.services.values():
            if one.name in self._external:
                continue
            for needed, condition in one.depends_on.items():
                self.wait(needed, condition)
            self.start(one.name)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        one = self.services[name]
        with one.log.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603  # the compose file's own command
                one.argv,
                env=one.environment,
                cwd=one.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopping it stops its children
            )
        self._processes[name] = process
        return process

    def wait(self, name: str, condition: str) -> None:
        if name in self._external or condition == "service_started":
            return
        process = self._processes[name]
        if condition == "service_completed_successfully":
            try:
                code = process.wait(timeout=self._timeout_s)
            except subprocess.TimeoutExpired as exc:
                raise ServiceFailed(f"{name} did not finish within {self._timeout_s} s") from exc
            if code != 0:
                raise ServiceFailed(f"{name} exited with {code}:\n{self.log_tail(name)}")
            return
        self._wait_healthy(name, process)

    def _wait_healthy(self, name: str, process: subprocess.Popen[bytes]) -> None:
        one = self.services[name]
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServiceFailed(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            if one.healthcheck is None or self.healthy(name):
                return
            time.sleep(HEALTH_POLL_S)
        raise ServiceFailed(f"{name} was not healthy within {self._timeout_s} s:\n{self.log_tail(name)}")

    def healthy(self, name: str) -> bool:
        """Whether the service's own health check passes now."""
        one = self.services[name]
        if one.healthcheck is None:
            return True
        try:
            check = subprocess.run(  # noqa: S603  # the compose file's own health check
                one.healthcheck,
                env=one.environment,
                cwd=one.cwd,
                capture_output=True,
                timeout=10,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return check.returncode == 0

    def run(self, name: str) -> int:
        """Run a one-shot service again (as ``docker compose run``); its exit code."""
        return self.start(name).wait(timeout=self._timeout_s)

    def log_tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.services[name].log.read_text(errors="replace").splitlines()[-lines:])

    def down(self) -> None:
        running = [process for process in reversed(self._processes.values()) if process.poll() is None]
        for process in running:
            os.killpg(process.pid, signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def exited(self) -> dict[str, int]:
        """The services that have exited, with their codes."""
        return {name: code for name, p in self._processes.items() if (code := p.poll()) is not None}


def plan(
    file: Path, root: Path, profiles: set[str], external: dict[str, str], env: Mapping[str, str]
) -> Stack:
    """The stack ``file`` describes, its mounts and logs under ``root``, nothing started."""
    chosen = services(load(file, env), profiles)
    where = addresses(chosen, external)
    bin_dir = Path(sys.executable).parent
    local = [localize(one, where, root, bin_dir) for one in chosen]
    return Stack(local, set(external), timeout_s=300)


@contextmanager
def running(stack: Stack) -> Iterator[Stack]:
    """``stack`` up (every condition met, in order) until the block ends; then down."""
    try:
        stack.up()
        yield stack
    finally:
        stack.down()
