"""`predictor serve --workers N` must not fall into uvicorn#3149: the listener it hands to the
workers is created with IPPROTO_TCP, so asyncio turns TCP_NODELAY on for each connection."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from predictor.entrypoints.http.server import listening_socket

# uvicorn runs on uvloop when it is installed (it is: uvicorn[standard]); check both loops.
LOOPS = pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
Runner = Callable[[Coroutine[Any, Any, int]], int]


async def _accepted_nodelay(listener: socket.socket) -> int:
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    port = listener.getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await asyncio.wait_for(accepted, timeout=5)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def test_the_workers_listener_is_a_tcp_socket() -> None:
    with listening_socket("127.0.0.1", 0) as listener:
        assert listener.proto == socket.IPPROTO_TCP
        assert listener.get_inheritable()


@LOOPS
def test_connections_accepted_on_it_get_tcp_nodelay(run: Runner) -> None:
    listener = listening_socket("127.0.0.1", 0)
    assert run(_accepted_nodelay(listener)) != 0


def test_uvicorns_own_listener_would_not_have_it_on_asyncio() -> None:
    # The contrast that makes the test above meaningful: on the stdlib loop, a socket built as
    # uvicorn's supervisor builds it (proto 0) does not get TCP_NODELAY on accepted connections.
    # (uvloop sets it on any TCP connection; predictor's listener works on both loops.)
    plain = socket.socket(socket.AF_INET)
    plain.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    plain.bind(("127.0.0.1", 0))
    assert asyncio.run(_accepted_nodelay(plain)) == 0


def test_uvicorn_believes_no_forwarded_headers_itself() -> None:
    """uvicorn's default trusts X-Forwarded-* from 127.0.0.1; the app trusts PREDICTOR_TRUSTED_PROXIES."""
    from predictor.config import load_settings
    from predictor.entrypoints.http.server import uvicorn_config

    assert uvicorn_config(load_settings(trusted_proxies="10.0.0.1")).proxy_headers is False
