"""The ShadowSummaries port: a server's shadow figures by served name, against the fake and the
real adapter (``HttpShadowSummaries`` reading a service on uvicorn, on loopback, whose shadow
has scored some requests)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import uvicorn

from predictor.adapters.memory import StaticShadowSummaries
from predictor.adapters.web.shadow import HttpShadowSummaries
from predictor.domain.errors import (
    ConfigurationError,
    Forbidden,
    ModelNotFound,
    ModelUnavailable,
    Unauthorized,
)
from predictor.domain.ports import ShadowSummaries
from predictor.domain.shadow import ShadowFigures
from predictor.entrypoints.http.app import create_app
from tests.servers import free_port
from tests.unit.http.conftest import API_KEY, FAST_RETRY, row
from tests.unit.shadow.serving import ADMIN_KEY, eventually, shadowed

REQUESTS = 3
PATIENCE_S = 30.0  # a ceiling on the server's shutdown, nothing measured


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The in-memory service with demo@production shadowed by itself, after ``REQUESTS`` requests."""
    app = create_app(shadowed("demo@production"), load_backoff=FAST_RETRY)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"

    def summary() -> dict[str, Any]:
        body: dict[str, Any] = httpx.get(
            f"{url}/v1/models/demo/shadow", headers={"X-API-Key": ADMIN_KEY}
        ).json()
        return body

    assert eventually(lambda: uv.started)
    assert eventually(lambda: summary()["shadow_version"] is not None)
    for _ in range(REQUESTS):
        answer = httpx.post(f"{url}/predict", json={"instances": [row()]}, headers={"X-API-Key": API_KEY})
        assert answer.status_code == 200
    assert eventually(lambda: bool(summary()["pairs"]) and summary()["pairs"][0]["requests"] == REQUESTS)
    try:
        yield url
    finally:
        uv.should_exit = True
        thread.join(timeout=PATIENCE_S)


SCORED = ShadowFigures("1", "1", REQUESTS, REQUESTS, 1.0, 0.0, 0.0, 0, 0, shadow_model="demo")


@pytest.fixture(params=["static", "http"])
def summaries(request: pytest.FixtureRequest) -> ShadowSummaries:
    if request.param == "static":
        return StaticShadowSummaries({"demo": [SCORED]})
    url: str = request.getfixturevalue("server")
    return HttpShadowSummaries(url, ADMIN_KEY)


def test_a_served_names_pairs_are_its_figures(summaries: ShadowSummaries) -> None:
    assert list(summaries.figures("demo")) == [SCORED]


def test_a_name_without_a_shadow_is_not_found(summaries: ShadowSummaries) -> None:
    with pytest.raises(ModelNotFound, match="no shadow"):
        summaries.figures("other")


def test_a_key_the_server_refuses_is_unauthorized_or_forbidden(server: str) -> None:
    with pytest.raises(Unauthorized, match="answered 401"):
        HttpShadowSummaries(server, "not-a-key-0123456789").figures("demo")
    with pytest.raises(Forbidden, match="answered 403"):
        HttpShadowSummaries(server, API_KEY).figures("demo")


def test_a_server_that_cannot_be_reached_is_unavailable() -> None:
    with pytest.raises(ModelUnavailable, match="cannot be reached"):
        HttpShadowSummaries(f"http://127.0.0.1:{free_port()}", ADMIN_KEY).figures("demo")
    with pytest.raises(ConfigurationError, match="not an http"):
        HttpShadowSummaries("file:///etc/passwd", ADMIN_KEY)


class _Redirecting(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a redirect to ``target``, and records the keys any request carried."""

    target = ""
    keys: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:  # http.server's name
        type(self).keys.append(self.headers.get("X-API-Key"))
        self.send_response(302 if self.target else 200)
        if self.target:
            self.send_header("Location", self.target)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        """Quiet: the test reads ``keys``."""


def test_a_redirect_is_not_followed_so_the_key_stays_with_the_server() -> None:
    elsewhere = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), type("Elsewhere", (_Redirecting,), {"keys": []})
    )
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}/steal"
    origin = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), type("Origin", (_Redirecting,), {"keys": [], "target": target})
    )
    for serving in (elsewhere, origin):
        threading.Thread(target=serving.serve_forever, daemon=True).start()
    try:
        with pytest.raises(ModelUnavailable, match=r"answered 302, a redirect to .*not followed"):
            HttpShadowSummaries(f"http://127.0.0.1:{origin.server_address[1]}", ADMIN_KEY).figures("demo")
    finally:
        for serving in (elsewhere, origin):
            serving.shutdown()
            serving.server_close()
    assert origin.RequestHandlerClass.keys == [ADMIN_KEY]  # type: ignore[attr-defined]  # _Redirecting's
    assert elsewhere.RequestHandlerClass.keys == []  # type: ignore[attr-defined]  # likewise
