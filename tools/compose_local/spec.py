"""Reading a compose file: ``${VAR:-default}`` interpolation, profiles, and the services in
dependency order, each as the few fields the local runner uses."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import yaml

# ${VAR}, ${VAR:-default} (unset or empty), ${VAR-default} (unset), $VAR and $$ (a literal $).
_VARIABLE = re.compile(r"\$\{(?P<braced>\w+)(?:(?P<op>:?-)(?P<default>[^}]*))?\}|\$(?P<plain>\w+)|\$\$")
CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")


class ComposeError(ValueError):
    """The compose file asks for something the local runner cannot do."""


@dataclass(frozen=True)
class Mount:
    source: str  # a named volume, or "tmpfs"
    target: str  # the path inside the container


@dataclass(frozen=True)
class Service:
    name: str
    argv: tuple[str, ...]  # entrypoint + command
    environment: dict[str, str]
    healthcheck: tuple[str, ...] | None  # argv to run; None: no health check
    depends_on: dict[str, str]  # service -> condition
    ports: dict[int, int | None]  # container port -> published host port (None: not published)
    mounts: tuple[Mount, ...] = field(default=())


def interpolate(value: str, env: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name = match["braced"] or match["plain"]
        if name is None:
            return "$"
        found = env.get(name)
        if match["op"] == ":-" and not found:
            return str(match["default"])
        if match["op"] == "-" and found is None:
            return str(match["default"])
        return found or ""

    return _VARIABLE.sub(substitute, value)


def _interpolated(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolated(item, env) for key, item in node.items()}
    return node


def load(path: Path, env: Mapping[str, str]) -> dict[str, Any]:
    """The compose document, interpolated from ``env`` (as Compose does from the shell)."""
    document = yaml.safe_load(path.read_text())
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        raise ComposeError(f"{path}: no services")
    return dict(_interpolated(document, env))


def _argv(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(shlex.split(value))
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    raise ComposeError(f"not a command: {value!r}")


def _healthcheck(raw: dict[str, Any]) -> tuple[str, ...] | None:
    test = raw.get("healthcheck", {}).get("test")
    if test is None or test == ["NONE"] or raw.get("healthcheck", {}).get("disable"):
        return None
    if isinstance(test, str):
        return ("sh", "-c", test)
    kind, *rest = (str(item) for item in test)
    return ("sh", "-c", rest[0]) if kind == "CMD-SHELL" else tuple(rest)


def _ports(raw: dict[str, Any]) -> dict[int, int | None]:
    ports: dict[int, int | None] = {int(str(port)): None for port in raw.get("expose", [])}
    for entry in raw.get("ports", []):
        host, _, container = str(entry).rpartition(":")
        ports[int(container.split("/")[0])] = int(host.rpartition(":")[2]) if host else None
    return ports


def _mounts(raw: dict[str, Any]) -> tuple[Mount, ...]:
    mounts = [Mount(*str(entry).split(":")[:2]) for entry in raw.get("volumes", [])]
    tmpfs = raw.get("tmpfs", [])
    mounts += [Mount("tmpfs", str(target)) for target in ([tmpfs] if isinstance(tmpfs, str) else tmpfs)]
    return tuple(mounts)


def _depends_on(raw: dict[str, Any]) -> dict[str, str]:
    given = raw.get("depends_on", {})
    if isinstance(given, list):
        return dict.fromkeys((str(name) for name in given), "service_started")
    return {str(name): str(spec.get("condition", "service_started")) for name, spec in given.items()}


def service(name: str, raw: dict[str, Any]) -> Service:
    environment = raw.get("environment", {})
    if isinstance(environment, list):
        environment = dict(str(item).partition("=")[::2] for item in environment)
    return Service(
        name=name,
        argv=_argv(raw.get("entrypoint")) + _argv(raw.get("command")),
        environment={str(key): "" if value is None else str(value) for key, value in environment.items()},
        healthcheck=_healthcheck(raw),
        depends_on=_depends_on(raw),
        ports=_ports(raw),
        mounts=_mounts(raw),
    )


def services(document: dict[str, Any], profiles: set[str]) -> list[Service]:
    """The services the ``profiles`` enable (those without profiles always), dependencies first."""
    chosen = {
        name: service(name, raw)
        for name, raw in document["services"].items()
        if not raw.get("profiles") or profiles & set(raw["profiles"])
    }
    for one in chosen.values():
        for needed, condition in one.depends_on.items():
            if needed not in chosen:
                raise ComposeError(f"{one.name} depends on {needed}, which no chosen profile enables")
            if condition not in CONDITIONS:
                raise ComposeError(f"{one.name}: unknown depends_on condition {condition!r}")
        if not one.argv:
            raise ComposeError(f"{one.name} names no command (the local runner has no image CMD)")
    order = TopologicalSorter({name: set(one.depends_on) for name, one in chosen.items()})
    return [chosen[name] for name in order.static_order()]
