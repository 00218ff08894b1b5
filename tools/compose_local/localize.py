"""A compose service made a local process: service host names and container ports become
loopback addresses, mounts become directories, and the commands come from this virtualenv."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path

from tools.compose_local.spec import ComposeError, Service

# What a local process keeps of this one's environment; a container inherits none of it.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME")
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LocalService:
    name: str
    argv: tuple[str, ...]
    environment: dict[str, str]
    healthcheck: tuple[str, ...] | None
    depends_on: dict[str, str]
    cwd: Path
    log: Path
    addresses: dict[int, str]  # container port -> host:port it is reached on here


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def addresses(services: list[Service], external: dict[str, str]) -> dict[str, dict[int, str]]:
    """Each service's container ports -> host:port: an external service's given address, else
    the published host port on loopback, else a free one."""
    found: dict[str, dict[int, str]] = {}
    for one in services:
        if one.name in external:
            if not one.ports:
                raise ComposeError(f"{one.name} is external but declares no port (expose or ports)")
            found[one.name] = dict.fromkeys(one.ports, external[one.name])
        else:
            found[one.name] = {port: f"{LOOPBACK}:{host or free_port()}" for port, host in one.ports.items()}
    return found


class Localizer:
    """Rewrites one service's strings for a local process."""

    def __init__(self, one: Service, everyone: dict[str, dict[int, str]], root: Path, bin_dir: Path) -> None:
        self._bin_dir = bin_dir
        self._own = everyone[one.name]
        self._patterns = [
            (re.compile(rf"(?<![\w.-]){re.escape(name)}:{port}(?!\d)"), address)
            for name, ports in everyone.items()
            for port, address in ports.items()
        ]
        self._patterns += [
            (re.compile(rf"(?<![\w.-])(?:localhost|127\.0\.0\.1|0\.0\.0\.0):{port}(?!\d)"), address)
            for port, address in self._own.items()
        ]
        self.mounts = {
            mount.target: root / "volumes" / mount.source
            if mount.source != "tmpfs"
            else root / "tmpfs" / one.name / mount.target.strip("/")
            for mount in one.mounts
        }

    def text(self, value: str) -> str:
        for pattern, address in self._patterns:
            value = pattern.sub(address, value)
        for port, address in self._own.items():
            if value == str(port):
                return address.rpartition(":")[2]
        if value == "0.0.0.0":  # noqa: S104  # the container binds every interface; here, loopback only
            return LOOPBACK
        for target, local in self.mounts.items():
            if value == target or value.startswith(target + "/"):
                return str(local) + value[len(target) :]
        return value

    def argv(self, argv: tuple[str, ...]) -> tuple[str, ...]:
        program = self._bin_dir / argv[0]
        first = str(program) if program.exists() else argv[0]
        return (first, *(self.text(token) for token in argv[1:]))


def localize(one: Service, everyone: dict[str, dict[int, str]], root: Path, bin_dir: Path) -> LocalService:
    rewrite = Localizer(one, everyone, root, bin_dir)
    environment = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    environment |= {name: rewrite.text(value) for name, value in one.environment.items()}
    if "/tmp" in rewrite.mounts:  # noqa: S108  # the container's /tmp, mapped to a directory of ours
        environment["TMPDIR"] = str(rewrite.mounts["/tmp"])  # noqa: S108  # likewise
    for local in rewrite.mounts.values():
        local.mkdir(parents=True, exist_ok=True)
    cwd = root / "work" / one.name
    cwd.mkdir(parents=True, exist_ok=True)
    (root / "logs").mkdir(exist_ok=True)
    return LocalService(
        name=one.name,
        argv=rewrite.argv(one.argv),
        environment=environment,
        healthcheck=rewrite.argv(one.healthcheck) if one.healthcheck else None,
        depends_on=one.depends_on,
        cwd=cwd,
        log=root / "logs" / f"{one.name}.log",
        addresses=everyone[one.name],
    )
