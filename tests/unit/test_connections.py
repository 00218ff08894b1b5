"""Connection limits below the app: the cap's bookkeeping, the refusal log, and the guarded
protocol's timeouts and cap on loopback sockets, served in process on both event loops."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import resource
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest
import structlog
import uvloop
from starlette.types import Message, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.server import ServerState

from predictor.config import load_settings
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.connection_log import Refusals
from predictor.entrypoints.http.connections import ConnectionGuard, ConnectionLimits
from predictor.entrypoints.http.server import raise_file_limit, uvicorn_config
from tests.unit.builders import memory_container
from tests.unit.http.conftest import with_keys

LOOPS = pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
Runner = Callable[[Coroutine[Any, Any, None]], None]

SHORT = 0.15  # seconds: the timeouts under test
LONG = 30.0  # a timeout that must not be the one that closes the connection
PARTIAL_HEADERS = b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: "
GET = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


def limits(**changes: float) -> ConnectionLimits:
    values: dict[str, Any] = {
        "header_timeout_s": LONG,
        "body_timeout_s": LONG,
        "keep_alive_timeout_s": LONG,
        "max_connections": 100,
    }
    return ConnectionLimits(**(values | changes))


class Waiting:
    """A connection as the cap sees it, recording its eviction."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.evicted = False

    def evict(self) -> None:
        self.evicted = True


# The cap's bookkeeping


def test_at_the_cap_the_connection_waiting_longest_makes_room() -> None:
    guard = ConnectionGuard(limits(max_connections=2))
    first, second, third = Waiting("first"), Waiting("second"), Waiting("third")
    assert guard.admit(first)
    assert guard.admit(second)
    assert guard.admit(third)
    assert (first.evicted, second.evicted) == (True, False)
    assert guard.open_connections == 2


def test_a_connection_serving_a_request_is_not_evicted_and_one_kept_alive_is() -> None:
    guard = ConnectionGuard(limits(max_connections=2))
    serving, kept_alive = Waiting("serving"), Waiting("kept alive")
    guard.admit(serving)
    guard.admit(kept_alive)
    guard.busy(serving)
    guard.busy(kept_alive)
    guard.idle(kept_alive)  # its response is complete; it waits for the next request
    assert guard.admit(Waiting("newcomer"))
    assert (serving.evicted, kept_alive.evicted) == (False, True)


def test_waiting_starts_again_when_a_kept_alive_connection_goes_idle() -> None:
    guard = ConnectionGuard(limits(max_connections=2))
    older, newer = Waiting("older"), Waiting("newer")
    guard.admit(older)
    guard.admit(newer)
    guard.busy(older)
    guard.idle(older)  # a request served: it now waits less long than `newer`
    guard.admit(Waiting("newcomer"))
    assert (older.evicted, newer.evicted) == (False, True)


def test_at_the_cap_with_every_connection_busy_a_newcomer_is_refused() -> None:
    guard = ConnectionGuard(limits(max_connections=1))
    busy = Waiting("busy")
    guard.admit(busy)
    guard.busy(busy)
    assert not guard.admit(Waiting("newcomer"))
    assert not busy.evicted
    guard.release(busy)
    assert guard.admit(Waiting("later"))


def test_a_released_connection_is_neither_counted_nor_made_idle_again() -> None:
    guard = ConnectionGuard(limits(max_connections=1))
    gone = Waiting("gone")
    guard.admit(gone)
    guard.release(gone)
    guard.idle(gone)
    assert guard.open_connections == 0
    newcomer = Waiting("newcomer")
    assert guard.admit(newcomer)
    assert not gone.evicted


def test_a_guard_pickles_as_its_limits_with_fresh_state() -> None:
    guard = ConnectionGuard(limits(max_connections=3), log_interval_s=2.0)
    guard.admit(Waiting("open"))
    guard.refusals.totals["header_timeout"] += 1
    copy = pickle.loads(pickle.dumps(guard))  # noqa: S301  # the bytes were pickled here
    assert copy.limits == guard.limits
    assert copy.refusals.interval_s == 2.0
    assert (copy.open_connections, dict(copy.refusals.totals)) == (0, {})


def test_the_uvicorn_config_carries_the_settings_limits_and_pickles() -> None:
    settings = load_settings(
        header_timeout_s=3,
        body_timeout_s=4,
        keep_alive_timeout_s=1.5,
        max_connections=7,
        graceful_shutdown_s=8,
    )
    config = pickle.loads(pickle.dumps(uvicorn_config(settings)))  # noqa: S301  # as --workers does
    assert isinstance(config.http, ConnectionGuard)
    assert config.http.limits == ConnectionLimits(3.0, 4.0, 1.5, 7)
    assert config.timeout_graceful_shutdown == 8
    assert uvicorn_config(load_settings()).timeout_graceful_shutdown is None


# The refusal log


def test_the_first_refusal_is_logged_at_once_and_the_rest_in_one_line_per_interval() -> None:
    async def flood() -> None:
        loop = asyncio.get_running_loop()
        refusals = Refusals(interval_s=0.1)
        for _ in range(50):
            refusals.record("header_timeout", ("127.0.0.1", 5000), loop)
        refusals.record("evicted_at_cap", None, loop)
        await asyncio.sleep(0.35)  # one summary, then a quiet interval
        refusals.record("body_timeout", ("127.0.0.1", 5001), loop)  # after the quiet: logged at once
        await asyncio.sleep(0.15)
        assert refusals.totals == {"header_timeout": 50, "evicted_at_cap": 1, "body_timeout": 1}

    with structlog.testing.capture_logs() as logs:
        asyncio.run(flood())
    assert [(entry["event"], entry["log_level"]) for entry in logs] == [
        ("connection closed", "warning"),
        ("connections closed", "warning"),
        ("connection closed", "warning"),
    ]
    assert (logs[0]["reason"], logs[0]["client"]) == ("header_timeout", "127.0.0.1:5000")
    assert logs[1]["counts"] == {"header_timeout": 49, "evicted_at_cap": 1}
    assert logs[1]["totals"] == {"header_timeout": 50, "evicted_at_cap": 1}
    assert logs[2]["reason"] == "body_timeout"


# The guarded protocol on loopback


class App:
    """Answers 200 after reading the body; ``/hold`` answers only once ``release`` is set;
    ``/early`` answers without reading the body. Records what ``receive`` gave."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        if scope["path"] == "/hold":
            self.holding.set()
            await self.release.wait()
        if scope["path"] != "/early":
            while True:
                message = await receive()
                self.received.append(message)
                if message["type"] == "http.disconnect" or not message.get("more_body"):
                    break
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


@asynccontextmanager
async def served(
    connection_limits: ConnectionLimits, app: App | None = None
) -> AsyncIterator[tuple[int, ConnectionGuard, App]]:
    app = app or App()
    guard = ConnectionGuard(connection_limits, log_interval_s=LONG)
    config = Config(app=app, log_config=None, lifespan="off", proxy_headers=False)
    state = ServerState()
    server = await asyncio.get_running_loop().create_server(lambda: guard(config, state, {}), "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], guard, app
    finally:
        app.release.set()
        server.close()
        for connection in list(state.connections):
            connection.shutdown()
        await server.wait_closed()


Client = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def connected(port: int, sent: bytes = b"") -> AsyncIterator[Client]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    if sent:
        writer.write(sent)
        await writer.drain()
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):  # the server closed first: nothing left to do
            await writer.wait_closed()


async def until_closed(reader: asyncio.StreamReader, within: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), within)


async def still_open(reader: asyncio.StreamReader, for_s: float) -> bool:
    try:
        await asyncio.wait_for(reader.read(1), for_s)
    except TimeoutError:
        return True
    return False


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        await asyncio.sleep(0.01)


async def response(reader: asyncio.StreamReader) -> bytes:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return head + await reader.readexactly(length)


def problem(answer: bytes) -> dict[str, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head
    assert b"connection: close" in head
    parsed: dict[str, Any] = orjson.loads(body)
    return parsed


@LOOPS
def test_a_request_that_stops_in_its_headers_is_answered_408_after_the_header_timeout(run: Runner) -> None:
    async def scenario() -> None:
        async with served(limits(header_timeout_s=SHORT)) as (port, guard, _):
            started = time.monotonic()
            async with connected(port, PARTIAL_HEADERS) as (reader, _):
                answer = await until_closed(reader)
            assert time.monotonic() - started >= SHORT
            assert answer.startswith(b"HTTP/1.1 408 ")
            assert problem(answer)["type"] == "https://predictor.dev/problems/request-timeout"
            assert guard.refusals.totals == {"header_timeout": 1}

    run(scenario())


@LOOPS
def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout_without_an_answer(
    run: Runner,
) -> None:
    async def scenario() -> None:
        async with served(limits(header_timeout_s=SHORT)) as (port, guard, _):
            async with connected(port) as (reader, _):
                assert await until_closed(reader) == b""
            assert guard.refusals.totals == {"header_timeout": 1}
            assert guard.open_connections == 0

    run(scenario())


@LOOPS
def test_a_body_that_stops_is_answered_408_and_the_app_sees_the_client_leave(run: Runner) -> None:
    async def scenario() -> None:
        async with served(limits(body_timeout_s=SHORT)) as (port, guard, app):
            post = b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc"
            started = time.monotonic()
            async with connected(port, post) as (reader, _):
                answer = await until_closed(reader)
            assert time.monotonic() - started >= SHORT
            assert answer.startswith(b"HTTP/1.1 408 ")
            assert "body" in problem(answer)["detail"]
            await asyncio.sleep(0.05)
            assert [message["type"] for message in app.received][-1] == "http.disconnect"
            assert guard.refusals.totals == {"body_timeout": 1}

    run(scenario())


@LOOPS
def test_a_body_that_stops_after_the_answer_started_is_closed_without_a_408(run: Runner) -> None:
    async def scenario() -> None:
        async with served(limits(body_timeout_s=SHORT)) as (port, guard, _):
            post = b"POST /early HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc"
            async with connected(port, post) as (reader, _):
                answer = await until_closed(reader)
            assert answer.startswith(b"HTTP/1.1 200 ")
            assert b"408" not in answer
            assert guard.refusals.totals == {"body_timeout": 1}

    run(scenario())


@LOOPS
def test_a_prompt_request_is_not_timed_and_the_idle_connection_closes_after_keep_alive(run: Runner) -> None:
    async def scenario() -> None:
        keep_alive = 4 * SHORT
        prompt = limits(header_timeout_s=SHORT, body_timeout_s=SHORT, keep_alive_timeout_s=keep_alive)
        async with served(prompt) as (port, guard, _):
            async with connected(port, GET) as (reader, _):
                assert (await response(reader)).startswith(b"HTTP/1.1 200 ")
                answered = time.monotonic()
                assert await still_open(reader, 2 * SHORT)  # past the header and body timeouts
                assert await until_closed(reader) == b""
                # The server's timer started when it sent the response, a little before `answered`.
                assert time.monotonic() - answered >= keep_alive - 0.1
            assert guard.refusals.totals == {}

    run(scenario())


@LOOPS
def test_the_next_request_on_a_kept_alive_connection_has_its_own_header_timeout(run: Runner) -> None:
    async def scenario() -> None:
        async with served(limits(header_timeout_s=SHORT)) as (port, guard, _):
            async with connected(port) as (reader, writer):
                await asyncio.sleep(SHORT / 2)
                writer.write(GET)
                assert (await response(reader)).startswith(b"HTTP/1.1 200 ")
                assert await still_open(reader, 2 * SHORT)  # idle: the keep-alive timeout applies
                writer.write(PARTIAL_HEADERS)
                assert (await until_closed(reader)).startswith(b"HTTP/1.1 408 ")
            assert guard.refusals.totals == {"header_timeout": 1}

    run(scenario())


@LOOPS
def test_bare_line_breaks_after_a_request_do_not_keep_a_connection_open(run: Runner) -> None:
    # The parser skips CRLFs between requests without telling the protocol, and uvicorn cancels
    # its keep-alive timer on any bytes: without the header timer the connection stays open.
    async def scenario() -> None:
        async with served(limits(header_timeout_s=SHORT)) as (port, guard, _):
            async with connected(port, GET) as (reader, writer):
                assert (await response(reader)).startswith(b"HTTP/1.1 200 ")
                writer.write(b"\r\n")
                assert (await until_closed(reader)).startswith(b"HTTP/1.1 408 ")
            assert guard.refusals.totals == {"header_timeout": 1}

    run(scenario())


@LOOPS
def test_at_the_cap_a_newcomer_closes_the_connection_waiting_longest_for_its_headers(run: Runner) -> None:
    async def scenario() -> None:
        async with served(limits(max_connections=2)) as (port, guard, _):
            async with (
                connected(port, PARTIAL_HEADERS) as (oldest, _),
                connected(port, PARTIAL_HEADERS) as (newer, _),
            ):
                await until(lambda: guard.open_connections == 2)
                async with connected(port, GET) as (newcomer, _):
                    assert (await response(newcomer)).startswith(b"HTTP/1.1 200 ")
                    assert await until_closed(oldest) == b""
                    assert await still_open(newer, 0.1)
            assert guard.refusals.totals == {"evicted_at_cap": 1}

    run(scenario())


@LOOPS
def test_at_the_cap_with_every_connection_busy_a_newcomer_is_answered_503(run: Runner) -> None:
    async def scenario() -> None:
        async with served(limits(max_connections=1)) as (port, guard, app):
            hold = b"GET /hold HTTP/1.1\r\nHost: test\r\n\r\n"
            async with connected(port, hold) as (busy, _):
                await asyncio.wait_for(app.holding.wait(), 5)
                async with connected(port) as (newcomer, _):
                    answer = await until_closed(newcomer)
                assert answer.startswith(b"HTTP/1.1 503 ")
                assert b"retry-after: 1" in answer
                assert problem(answer)["type"] == "https://predictor.dev/problems/too-many-connections"
                app.release.set()
                assert (await response(busy)).startswith(b"HTTP/1.1 200 ")
            assert guard.refusals.totals == {"refused_at_cap": 1}

    run(scenario())


# The process's open-file limit


def test_the_soft_open_file_limit_is_raised_to_what_the_cap_needs_within_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = 256
    assert hard == resource.RLIM_INFINITY or hard >= lowered + 100, (
        f"this test needs a hard open-file limit of {lowered + 100} (ulimit -Hn), not {hard}"
    )
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        assert raise_file_limit(lowered + 100) == (lowered, lowered + 100)
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (lowered + 100, hard)
        assert raise_file_limit(lowered) == (lowered + 100, lowered + 100)  # never lowered
        if hard != resource.RLIM_INFINITY:
            assert raise_file_limit(hard + 1) == (lowered + 100, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_refusals_are_counted_in_the_served_apps_metrics() -> None:
    container = with_keys(memory_container())
    config = Config(app=create_app(container), log_config=None, lifespan="off", proxy_headers=False)
    config.load()  # as uvicorn's server does before it accepts anything: loaded_app is the app
    guard = ConnectionGuard(limits(header_timeout_s=SHORT), log_interval_s=LONG)

    async def scenario() -> None:
        state = ServerState()
        server = await asyncio.get_running_loop().create_server(
            lambda: guard(config, state, {}), "127.0.0.1", 0
        )
        try:
            async with connected(server.sockets[0].getsockname()[1], PARTIAL_HEADERS) as (reader, _):
                await until_closed(reader)
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(scenario())
    drained = container.request_metrics().drain()
    counted = [(m.name, dict(m.dimensions), m.value) for m in drained if m.name == "rejected_connections"]
    assert counted == [("rejected_connections", {"reason": "header_timeout"}, 1.0)]
