"""Running the app under uvicorn, with one worker or several.

With ``--workers N`` uvicorn's supervisor binds the listening socket itself, with ``proto``
left at 0; accepted sockets inherit it and asyncio only turns TCP_NODELAY on when it sees
IPPROTO_TCP, so every keep-alive response then waits ~40 ms on a delayed ACK
(Kludex/uvicorn#3149). uvloop happens to set TCP_NODELAY on any TCP connection, the stdlib
loop does not; here the listener is created with IPPROTO_TCP and handed to the same
supervisor, so every worker's connections get TCP_NODELAY on either loop.

Connections are served by ``connections.GuardedHttpToolsProtocol`` (header, body and keep-alive
timeouts and a cap per process). Each process may hold ``max_connections`` open sockets plus a
listen backlog of just-accepted ones, so its soft ``RLIMIT_NOFILE`` is raised to allow that
(workers inherit it); past the limit, accept fails and a client gets an empty reply, unlogged.
"""

from __future__ import annotations

import gc
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

import structlog

from predictor.config import Settings

if TYPE_CHECKING:
    import asyncio

    import uvicorn

APP = "predictor.entrypoints.http.asgi:app_factory"
# uvicorn's default listen backlog: up to this many connections are accepted at once, before
# the guard sees any of them.
BACKLOG = 2048
# File descriptors besides client connections: listener, event loop, logs, model files, and
# outbound connections to the registry, the secret and metrics stores.
RESERVED_FILES = 128
# Seconds the --workers supervisor waits for a worker to answer its health check.
WORKER_HEALTHCHECK_S = 60
# prometheus_client's multiprocess mode: each worker writes its values to files here, and a
# scrape reads them all. Read by prometheus_client when first imported, so set before workers start.
PROMETHEUS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket, inheritable by workers, whose accepted connections get TCP_NODELAY."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def raise_file_limit(wanted: int) -> tuple[int, int]:
    """Raise this process's soft open-file limit to ``wanted``, or as near as the hard limit
    allows; the limit (before, after)."""
    if sys.platform == "win32":  # no RLIMIT_NOFILE; the C runtime's own limit applies
        return wanted, wanted
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft, soft
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return soft, max(soft, target)


def allow_connections(max_connections: int) -> None:
    """Make room in the file table for ``max_connections``, and say so when there is none."""
    wanted = max_connections + BACKLOG + RESERVED_FILES
    before, after = raise_file_limit(wanted)
    log = structlog.get_logger(__name__)
    if after > before:
        log.info("open-file limit raised", before=before, after=after)
    if after < wanted:
        log.warning(
            "open-file limit below what PREDICTOR_MAX_CONNECTIONS needs: past it, new clients get "
            "an empty reply; raise the hard limit (ulimit -Hn, the container's nofile) or lower the cap",
            limit=after,
            needed=wanted,
            max_connections=max_connections,
        )


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """uvicorn's configuration: picklable, as ``--workers`` sends it to each worker process."""
    import uvicorn

    from predictor.entrypoints.http.connections import ConnectionGuard, ConnectionLimits

    guard = ConnectionGuard(ConnectionLimits.from_settings(settings))
    return uvicorn.Config(
        APP,
        factory=True,
        host=settings.http.host,
        port=settings.http.port,
        workers=settings.http.workers,
        log_config=None,
        access_log=False,
        server_header=False,
        # uvicorn would believe X-Forwarded-For / -Proto from 127.0.0.1; the app believes them
        # from PREDICTOR_TRUSTED_PROXIES only (app.py).
        proxy_headers=False,
        backlog=BACKLOG,
        # A protocol factory in place of a class: uvicorn only ever calls it.
        http=cast("type[asyncio.Protocol]", guard),
        ws="none",  # no WebSocket routes: don't import a WebSocket library at start
        # A spawned worker answers the supervisor's health check only once it has unpickled this
        # config, which imports the app's modules; on a busy host that outlasts uvicorn's
        # default wait, and the supervisor then kills and respawns workers in a loop.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        timeout_graceful_shutdown=settings.http.graceful_shutdown_s,
    )


@contextmanager
def prometheus_directory(settings: Settings) -> Iterator[None]:
    """With Prometheus on, a fresh directory for every worker's values, removed at exit (the
    values of a previous run must not be counted again); one the operator set is used as it is."""
    if not settings.metrics.prometheus_enabled or os.environ.get(PROMETHEUS_DIR_VARIABLE):
        yield
        return
    directory = tempfile.mkdtemp(prefix="predictor-prometheus-")
    os.environ[PROMETHEUS_DIR_VARIABLE] = directory
    try:
        yield
    finally:
        os.environ.pop(PROMETHEUS_DIR_VARIABLE, None)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def prometheus_listener(settings: Settings) -> Iterator[None]:
    """With Prometheus on and ``PREDICTOR_PROMETHEUS_PORT`` set, answer scrapes on that port
    from this process (the supervisor of ``--workers N``, reading every worker's values)."""
    port = settings.metrics.prometheus_port
    if not settings.metrics.prometheus_enabled or port is None:
        yield
        return
    from predictor.container import build_container

    stop = build_container(settings).adapters.prometheus().serve(settings.http.host, port)
    try:
        yield
    finally:
        stop()


def run(settings: Settings) -> None:
    """Serve the app on ``settings.http.host:settings.http.port`` with ``settings.http.workers`` processes."""
    import uvicorn

    from predictor.entrypoints.logging import configure_logging

    if settings.http.workers == 1:
        gc.disable()  # while the app is imported and built; app_factory turns it back on
    configure_logging(json=settings.logging.log_json, level=settings.logging.log_level)
    allow_connections(settings.http.max_connections)
    config = uvicorn_config(settings)
    with prometheus_directory(settings), prometheus_listener(settings):
        if settings.http.workers == 1:
            uvicorn.Server(config).run()
            return
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[listening_socket(settings.http.host, settings.http.port)]).run()
