"""A small local implementation of the AWS Lambda Runtime API (2018-06-01) on 127.0.0.1: it hands
out queued events on ``/invocation/next`` and records what the runtime posts back to
``/invocation/{id}/response``, ``/invocation/{id}/error`` and ``/init/error``."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:predictor"


@dataclass
class RuntimeApi:
    """What the runtime was given and what it posted back, by invocation id."""

    address: str = ""
    events: queue.Queue[tuple[str, dict[str, Any]]] = field(default_factory=queue.Queue)
    responses: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, Any] = field(default_factory=dict)
    init_errors: list[Any] = field(default_factory=list)
    posted: threading.Condition = field(default_factory=threading.Condition)
    stopping: threading.Event = field(default_factory=threading.Event)

    def invoke(self, event: dict[str, Any]) -> str:
        invocation = str(uuid.uuid4())
        self.events.put((invocation, event))
        return invocation

    def wait_for(self, invocation: str, timeout: float) -> Any:
        """The response (or error) posted for ``invocation``."""
        with self.posted:
            self.posted.wait_for(lambda: invocation in self.responses or invocation in self.errors, timeout)
        if invocation in self.errors:
            return self.errors[invocation]
        return self.responses[invocation]

    def wait_for_init_error(self, timeout: float) -> Any:
        with self.posted:
            self.posted.wait_for(lambda: bool(self.init_errors), timeout)
        return self.init_errors[0]

    def record(self, where: dict[str, Any] | list[Any], key: str, body: Any) -> None:
        with self.posted:
            if isinstance(where, list):
                where.append(body)
            else:
                where[key] = body
            self.posted.notify_all()


def _handler_for(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._answer(404)
                return
            while not api.stopping.is_set():
                try:
                    invocation, event = api.events.get(timeout=0.1)
                except queue.Empty:
                    continue
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", invocation)
                self.send_header("Lambda-Runtime-Deadline-Ms", "32503680000000")
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-65f2a1b3-0123456789abcdef01234567")
                self.end_headers()
                self.wfile.write(body)
                return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            parts = self.path.removeprefix(PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                api.record(api.init_errors, "", body)
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                api.record(api.responses if parts[2] == "response" else api.errors, parts[1], body)
            else:
                self._answer(404)
                return
            self._answer(202)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # the base class's name
            """Quiet: the test reads what was posted, not an access log."""

    return Handler


@contextmanager
def runtime_api() -> Iterator[RuntimeApi]:
    api = RuntimeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(api))
    server.daemon_threads = True
    api.address = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.stopping.set()
        server.shutdown()
        server.server_close()
