"""Logs: one access line per request with its id, status, latency, model and key id; never the key."""

from __future__ import annotations

import dataclasses
import io
import logging
import subprocess
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import orjson
import pytest
import structlog
from fastapi.testclient import TestClient

from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, Scores, ServableModel
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.logging import configure_logging
from predictor.services.serving.auth import key_id
from predictor.services.serving.batching import INLINE_ROWS
from tests.unit.http.conftest import API_KEY, AUTH, FAST_RETRY, row, trained_container
from tests.unit.http.test_server_errors import failing_client

ACCESS_KEYS = {"request_id", "method", "path", "status", "latency_ms", "model_version", "key_id"}


def access_lines(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == "request"]


def test_each_request_logs_one_access_line(client: TestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        ok = client.post("/predict", json={"instances": [row()]}, headers=AUTH)
        refused = client.post("/predict", json={"instances": [row()]})
        client.get("/health/live")

    lines = access_lines(logs)
    assert len(lines) == 3
    assert all(set(line) >= ACCESS_KEYS for line in lines)
    first, second, third = lines
    assert first["request_id"] == ok.headers["X-Request-ID"]
    assert (first["method"], first["path"], first["status"]) == ("POST", "/predict", 200)
    assert (first["model_version"], first["key_id"]) == ("1", key_id(API_KEY))
    assert isinstance(first["latency_ms"], float)
    assert (second["status"], second["key_id"], second["request_id"]) == (
        401,
        None,
        refused.headers["X-Request-ID"],
    )
    assert (third["path"], third["status"]) == ("/health/live", 200)


def test_the_api_key_never_appears_in_the_logs(client: TestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        client.post("/predict", json={"instances": [row()]}, headers=AUTH)
        client.post(f"/predict?api_key={API_KEY}", json={"instances": [row()]}, headers=AUTH)
        client.post("/predict", json={"instances": [row()]}, headers={"X-API-Key": API_KEY[:-1]})

    assert len(access_lines(logs)) == 3
    assert API_KEY not in repr(logs)
    assert API_KEY[:-1] not in repr(logs)
    assert all(line["path"] == "/predict" for line in access_lines(logs))  # no query string


@contextmanager
def logging_into(stream: io.StringIO | None, json: bool, level: str = "INFO") -> Iterator[None]:
    """configure_logging into ``stream`` (stderr when None); the previous set-up is restored after."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_config = structlog.get_config()
    try:
        if stream is None:
            configure_logging(json=json, level=level)
        else:
            configure_logging(json=json, level=level, stream=stream)
        yield
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        structlog.configure(**saved_config)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """configure_logging(json=True) into a buffer; the previous logging set-up is restored after."""
    stream = io.StringIO()
    with logging_into(stream, json=True):
        yield stream


def lines_of(stream: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


def test_json_logs_render_stdlib_records_with_their_extra_fields_and_the_bound_request_id(
    json_logs: io.StringIO,
) -> None:
    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        logging.getLogger("predictor.services.serving.loading").info(
            "model loaded", extra={"model": "demo", "version": "3"}
        )
        structlog.get_logger("predictor.test").info("structlog event", rows=2)

    domain, ours = lines_of(json_logs)
    assert domain["event"] == "model loaded"
    assert (domain["model"], domain["version"], domain["request_id"]) == ("demo", "3", "req-1")
    assert (domain["level"], domain["logger"]) == ("info", "predictor.services.serving.loading")
    assert "timestamp" in domain
    assert (ours["event"], ours["rows"], ours["request_id"]) == ("structlog event", 2, "req-1")


def test_json_logs_carry_a_structured_stack_trace(json_logs: io.StringIO) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("predictor.test").exception("failed")

    (line,) = lines_of(json_logs)
    assert line["level"] == "error"
    assert "exception" in line
    assert "boom" in orjson.dumps(line["exception"]).decode()


def test_json_logs_below_the_level_are_dropped(json_logs: io.StringIO) -> None:
    logging.getLogger("predictor.test").debug("noise")
    structlog.get_logger("predictor.test").debug("noise")
    assert json_logs.getvalue() == ""


def test_the_console_renderer_is_used_in_development() -> None:
    stream = io.StringIO()
    with logging_into(stream, json=False):
        configure_logging(json=False, level="INFO", stream=stream)  # twice: still one handler
        logging.getLogger("predictor.test").info("hello", extra={"rows": 3})

    (line,) = stream.getvalue().splitlines()
    assert "hello" in line
    assert "rows=3" in line
    assert not line.startswith("{")


class ChattyModel(ServableModel):
    """The served model, logging through the standard library as domain code does."""

    def __init__(self, model: ServableModel) -> None:
        self._model = model

    @property
    def manifest(self) -> ModelManifest:
        return self._model.manifest

    def predict(self, matrix: Matrix) -> Scores:
        logging.getLogger("predictor.domain.scoring").info("scoring", extra={"rows": len(matrix)})
        return self._model.predict(matrix)

    def contributions(self, matrix: Matrix) -> tuple[Scores, Scores]:
        return self._model.contributions(matrix)


@pytest.mark.parametrize("rows", [1, INLINE_ROWS + 1])
def test_a_domain_log_during_a_request_carries_its_request_id(json_logs: io.StringIO, rows: int) -> None:
    container = trained_container()
    with TestClient(create_app(container, load_backoff=FAST_RETRY)) as client:
        served = container.slot().current()
        container.slot().swap(dataclasses.replace(served, model=ChattyModel(served.model)))
        response = client.post(
            "/predict", json={"instances": [row()] * rows}, headers={**AUTH, "X-Request-ID": "req-log"}
        )

    assert response.status_code == 200
    lines = lines_of(json_logs)
    (loaded,) = [line for line in lines if line["event"] == "model loaded"]
    assert (loaded["model"], loaded["version"]) == ("demo", "1")
    (scoring,) = [line for line in lines if line["event"] == "scoring"]
    assert (scoring["rows"], scoring["request_id"]) == (rows, "req-log")
    (access,) = [line for line in lines if line["event"] == "request"]
    assert (access["request_id"], access["logger"]) == ("req-log", "predictor.access")
    assert API_KEY not in json_logs.getvalue()


def test_our_events_go_to_whatever_stderr_is_when_they_are_logged(capsys: pytest.CaptureFixture[str]) -> None:
    with logging_into(None, json=True, level="WARNING"):
        log = structlog.get_logger("predictor.test")
        log.info("below the level")
        log.warning("kept", rows=2)
    (line,) = capsys.readouterr().err.splitlines()
    assert orjson.loads(line) | {"timestamp": None} == {
        "event": "kept",
        "rows": 2,
        "level": "warning",
        "logger": "predictor.test",
        "timestamp": None,
    }


def test_uvicorn_builds_no_access_record_of_its_own() -> None:
    # uvicorn logs its access line whenever this logger has a handler, even a NullHandler. In a
    # process of its own: pytest hangs its capture handlers on non-propagating loggers.
    probe = """
import io, logging
from predictor.entrypoints.logging import configure_logging
configure_logging(json=True, level="DEBUG", stream=(out := io.StringIO()))
access = logging.getLogger("uvicorn.access")
access.warning('127.0.0.1 - "GET /?api_key=leaked HTTP/1.1" 200')
print(access.hasHandlers(), repr(out.getvalue()))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "''"]
    assert done.stderr == ""  # not even the last-resort handler


@pytest.mark.parametrize("json", [True, False])
def test_a_500s_traceback_is_logged_without_frame_locals_or_the_key(json: bool) -> None:
    stream = io.StringIO()
    with logging_into(stream, json=json, level="DEBUG"):
        for client in failing_client(RuntimeError("boom")):
            response = client.post("/predict", json={"instances": [row()]}, headers=AUTH)

    assert response.status_code == 500
    logged = stream.getvalue()
    assert "RuntimeError: boom" in logged or '"exc_value":"boom"' in logged
    assert API_KEY not in logged
    assert "x-api-key" not in logged.lower()
    if json:
        (failure,) = [line for line in lines_of(stream) if line["event"] == "unhandled error"]
        frames = [frame for exc in failure["exception"] for frame in exc["frames"]]  # type: ignore[attr-defined]  # parsed JSON: a list of dicts
        assert frames
        assert all("locals" not in frame for frame in frames)
