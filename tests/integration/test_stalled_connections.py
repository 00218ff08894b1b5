"""Clients that stall, against the real `predictor serve` on loopback (issue 13, finding 2).

Thousands of connections send part of their headers and stop. The server starts with the soft
open-file limit of many systems (1024), which that many would exhaust: without the guard a
fresh client then gets an empty reply, even on ``/health/live``. With it, the cap makes the
longest-waiting stalled connections give way, a fresh client is served, every stalled
connection is closed after the header timeout at the latest, and the log sums it all up in a
few lines. A body that stops after its headers, and an idle kept-alive connection, are closed
after their own timeouts.
"""

from __future__ import annotations

import json
import resource
import selectors
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sklearn.datasets import load_breast_cancer

from tests.servers import export_breast_cancer, free_port, local_env, running

pytestmark = pytest.mark.integration

API_KEY = "stalled-connections-key-0123456789"
STALLED = 3000
CAP = 500
HEADER_TIMEOUT_S = 3.0
BODY_TIMEOUT_S = 2.0
KEEP_ALIVE_TIMEOUT_S = 1.0
SERVER_SOFT_NOFILE = 1024
SLACK_S = 3.0  # a busy 2-core machine may act this much later than a timeout says
PARTIAL_HEADERS = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"


@contextmanager
def soft_file_limit(limit: int) -> Iterator[None]:
    """This process's soft open-file limit set to ``limit`` (within the hard limit) meanwhile."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_breast_cancer(tmp_path_factory.mktemp("export"), plots=False)


@dataclass(frozen=True)
class Server:
    url: str
    port: int
    log_path: Path

    def log_lines(self, logger: str) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_path.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == logger:
                    lines.append(entry)
        return lines

    def wait_for_totals(self, reason: str, at_least: int, within: float) -> dict[str, int]:
        """The refusal totals of the first connection log line counting ``at_least`` of ``reason``."""
        deadline = time.monotonic() + within
        while True:
            for entry in self.log_lines("predictor.connections"):
                if entry["totals"].get(reason, 0) >= at_least:
                    return dict(entry["totals"])
            assert time.monotonic() < deadline, f"no log line counts {at_least} {reason}"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def server(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard == resource.RLIM_INFINITY or hard >= STALLED + 1024, (
        f"this test needs a hard open-file limit of {STALLED + 1024} (ulimit -Hn), not {hard}"
    )
    work = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = local_env(
        work,
        PREDICTOR_API_KEYS=API_KEY,
        PREDICTOR_LOG_JSON="true",
        PREDICTOR_METRICS_SINK="none",
        PREDICTOR_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
        PREDICTOR_BODY_TIMEOUT_S=str(BODY_TIMEOUT_S),
        PREDICTOR_KEEP_ALIVE_TIMEOUT_S=str(KEEP_ALIVE_TIMEOUT_S),
        PREDICTOR_MAX_CONNECTIONS=str(CAP),
    )
    args = ["serve", "--port", str(port), "--model-dir", str(exported)]
    with ExitStack() as stack:
        with soft_file_limit(SERVER_SOFT_NOFILE):  # the server inherits it
            url, log_path = stack.enter_context(running(args, env, work, port))
        # This process opens STALLED sockets besides its own files.
        stack.enter_context(soft_file_limit(STALLED + 1024))
        yield Server(url, port, log_path)


@dataclass
class Stalled:
    sock: socket.socket
    opened: float
    received: bytes = b""
    closed: float | None = None


def open_stalled(port: int, count: int, stack: ExitStack) -> list[Stalled]:
    stalled = []
    for _ in range(count):
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        opened = time.monotonic()
        sock.sendall(PARTIAL_HEADERS)
        stalled.append(Stalled(sock, opened))
    return stalled


def wait_closed(stalled: list[Stalled], within: float) -> None:
    """Read every socket until the server closes it (EOF or reset), or until ``within`` ends."""
    deadline = time.monotonic() + within
    with selectors.DefaultSelector() as selector:
        for each in stalled:
            each.sock.setblocking(False)
            selector.register(each.sock, selectors.EVENT_READ, each)
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.2):
                each = key.data
                try:
                    chunk = each.sock.recv(4096)
                except ConnectionResetError:
                    chunk = b""
                if chunk:
                    each.received += chunk
                else:
                    each.closed = time.monotonic()
                    selector.unregister(each.sock)


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "closed before the response"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if b"content-length" in line
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head


def test_stalled_connections_make_room_for_a_fresh_client_and_close_after_the_header_timeout(
    server: Server,
) -> None:
    data = load_breast_cancer()
    row = dict(zip(data.feature_names, map(float, data.data[0]), strict=True))

    with ExitStack() as stack:
        stalled = open_stalled(server.port, STALLED, stack)
        flooded = time.monotonic()

        live = httpx.get(f"{server.url}/health/live", timeout=5)
        predicted = httpx.post(
            f"{server.url}/predict", json={"instances": [row]}, headers={"X-API-Key": API_KEY}, timeout=5
        )
        assert live.status_code == 200
        assert predicted.status_code == 200, predicted.text
        assert time.monotonic() - flooded < HEADER_TIMEOUT_S  # served while the stalled were held

        wait_closed(stalled, within=HEADER_TIMEOUT_S + SLACK_S)

    still_open = [each for each in stalled if each.closed is None]
    assert not still_open, f"{len(still_open)} of {STALLED} stalled connections were not closed"
    # Those that waited their whole header timeout were answered 408; those made to give way
    # at the cap were closed without an answer.
    timed_out = [each for each in stalled if each.received]
    evicted = [each for each in stalled if not each.received]
    assert all(each.received.startswith(b"HTTP/1.1 408 ") for each in timed_out)
    assert all(
        each.closed is not None and each.closed - each.opened >= HEADER_TIMEOUT_S for each in timed_out
    )
    assert len(timed_out) <= CAP
    assert len(evicted) >= STALLED - CAP

    totals = server.wait_for_totals("header_timeout", len(timed_out), within=15)
    assert totals.get("header_timeout", 0) == len(timed_out)
    assert totals.get("evicted_at_cap", 0) == len(evicted)
    assert "refused_at_cap" not in totals  # a stalled connection could always make room
    # One line at the first close, then one summary per interval: not one line per connection.
    assert len(server.log_lines("predictor.connections")) <= 4


def test_the_server_raised_its_open_file_limit_to_hold_the_cap(server: Server) -> None:
    (raised,) = server.log_lines("predictor.entrypoints.http.server")
    assert raised["event"] == "open-file limit raised"
    assert raised["before"] == SERVER_SOFT_NOFILE
    assert raised["after"] > CAP + SERVER_SOFT_NOFILE


def test_a_body_that_stops_after_its_headers_is_answered_408_after_the_body_timeout(server: Server) -> None:
    head = (
        b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"X-API-Key: " + API_KEY.encode() + b"\r\nContent-Length: 400\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=BODY_TIMEOUT_S + SLACK_S) as sock:
        sock.sendall(head + b'{"instances": [{"mean radius": 1')
        sent = time.monotonic()
        answer = sock.recv(4096)
        waited = time.monotonic() - sent
        assert sock.recv(4096) == b""
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert BODY_TIMEOUT_S - 0.1 <= waited <= BODY_TIMEOUT_S + SLACK_S
    assert server.wait_for_totals("body_timeout", 1, within=15)["body_timeout"] == 1


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_timeout(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=KEEP_ALIVE_TIMEOUT_S + SLACK_S) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
        answered = time.monotonic()
        assert sock.recv(4096) == b""
        idle = time.monotonic() - answered
    assert KEEP_ALIVE_TIMEOUT_S - 0.1 <= idle <= KEEP_ALIVE_TIMEOUT_S + SLACK_S
