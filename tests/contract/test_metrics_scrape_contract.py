"""The ``MetricsScrape`` contract: the running totals in a scraper's text format, from ``scrape``
and from the listener ``serve`` starts, which stops when told; a port in use is an ``OSError``.

Prometheus is the only implementation: its registry lives in the process, so the in-memory
container serves through it too (``adapters/memory/container.py``)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from typing import Protocol

import httpx
import pytest

from predictor.adapters.prometheus.recorder import PrometheusMetricsRecorder
from predictor.domain.ports import Counted, MetricsRecorder, MetricsScrape


class ScrapedRecorder(MetricsRecorder, MetricsScrape, Protocol):
    """What the suite needs of an implementation: it records, and it is scraped."""


@pytest.fixture(params=["prometheus"])
def scrape(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> ScrapedRecorder:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)  # this process's totals only
    assert request.param == "prometheus"
    return PrometheusMetricsRecorder()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def bound_port() -> Iterator[int]:
    """A port some other listener holds."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_scrape_is_text_holding_what_was_recorded(scrape: ScrapedRecorder) -> None:
    scrape.observe_request("/predict", 200, 3.0, "demo", "4")
    scrape.count(Counted.MODEL_LOAD_FAILURES, model="demo")

    content_type, body = scrape.scrape()

    assert content_type.startswith("text/plain")
    text = body.decode()
    assert 'route="/predict"' in text
    assert 'model="demo"' in text
    assert 'version="4"' in text


def test_the_listener_answers_scrapes_until_stopped(scrape: ScrapedRecorder) -> None:
    scrape.serving("demo", "4")
    port = free_port()

    stop = scrape.serve("127.0.0.1", port)
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    finally:
        stop()

    assert answer.status_code == 200
    assert 'model="demo"' in answer.text
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1)


def test_a_port_in_use_is_an_os_error(scrape: ScrapedRecorder, bound_port: int) -> None:
    with pytest.raises(OSError) as raised:  # noqa: PT011  # the port's promise: OSError, its errno says why
        scrape.serve("127.0.0.1", bound_port)
    assert raised.value.errno == errno.EADDRINUSE
