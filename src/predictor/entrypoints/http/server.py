"""Running the app under uvicorn, with one worker or several.

With ``--workers N`` uvicorn's supervisor binds the listening socket itself, with ``proto``
left at 0; accepted sockets inherit it and asyncio only turns TCP_NODELAY on when it sees
IPPROTO_TCP, so every keep-alive response then waits ~40 ms on a delayed ACK
(Kludex/uvicorn#3149). uvloop happens to set TCP_NODELAY on any TCP connection, the stdlib
loop does not; here the listener is created with IPPROTO_TCP and handed to the same
supervisor, so every worker's connections get TCP_NODELAY on either loop.
"""

from __future__ import annotations

import gc
import socket

from predictor.config import Settings

APP = "predictor.entrypoints.http.asgi:app_factory"


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket, inheritable by workers, whose accepted connections get TCP_NODELAY."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def run(settings: Settings) -> None:
    """Serve the app on ``settings.host:settings.port`` with ``settings.workers`` processes."""
    import uvicorn

    config = uvicorn.Config(
        APP,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        server_header=False,
        ws="none",  # no WebSocket routes: don't import a WebSocket library at start
    )
    if settings.workers == 1:
        gc.disable()  # while the app is imported and built; app_factory turns it back on
        uvicorn.Server(config).run()
        return
    from uvicorn.supervisors import Multiprocess

    Multiprocess(config, sockets=[listening_socket(settings.host, settings.port)]).run()
