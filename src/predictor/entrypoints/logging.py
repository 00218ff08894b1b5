"""Logging: structlog for our own events, and stdlib records rendered the same way.

The domain logs through ``logging.getLogger(__name__)`` with ``extra={...}``; those records go
through structlog's ``ProcessorFormatter``, so they come out in the same format (JSON lines in
production, console lines in development) with their extra fields and the request id bound by
the HTTP middleware. Logs go to stderr: stdout belongs to the CLI's output.

Our own events (the access line of every request among them) take structlog's short road:
filtered by level where they are logged (``make_filtering_bound_logger``), rendered, and
written as one line by structlog's ``WriteLogger``, without a stdlib ``LogRecord`` and handler
in between (docs/performance.md has the figures).
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO, cast

import orjson
import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

# uvicorn's own access line repeats ours, and would log query strings (where a careless client
# may have put an API key); its other loggers are routed through ours. Silenced with no handler
# at all: uvicorn builds its access record for every response when the logger has a handler,
# even a NullHandler (docs/performance.md).
# Mangum's "POST /path 200" line likewise repeats ours, with the raw path (and so whatever a
# client put in it) on Lambda.
_SILENCED = ("uvicorn.access", "mangum.http")
_ROUTED = ("uvicorn", "uvicorn.error")
# Our root handler's name, so configuring twice replaces it instead of adding another.
_HANDLER = "predictor"


class _CurrentStderr(io.TextIOBase):
    """``sys.stderr`` as it is at each write, as the standard library's last-resort handler
    does, so a swapped stderr (pytest's capture, a daemon's redirect) gets the lines."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


# typing.TextIO is a nominal type io.TextIOBase does not claim; the stream is used as one.
_STDERR = cast(TextIO, _CurrentStderr())


def _drop_color_message(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    # uvicorn passes a second, ANSI-coloured copy of its message as an extra field.
    event_dict.pop("color_message", None)
    return event_dict


def _orjson(value: Any, **options: Any) -> str:
    return orjson.dumps(value, default=options.get("default", repr)).decode()


def _named_write_loggers(file: TextIO) -> Callable[..., structlog.WriteLogger]:
    """structlog's WriteLoggerFactory, keeping the name given to ``get_logger`` for ``add_logger_name``."""
    factory = structlog.WriteLoggerFactory(file)

    def write_logger(*args: Any) -> structlog.WriteLogger:
        logger = factory(*args)
        logger.name = args[0] if args else None  # type: ignore[attr-defined]  # read by add_logger_name
        return logger

    return write_logger


def _renderer(json: bool, stream: TextIO) -> list[Processor]:
    # Tracebacks without frame locals, in both formats: a request's locals hold its ASGI scope,
    # and with it the API key of its headers. The plain console traceback is also quicker than
    # rich's (the default when rich is installed), which held the event loop.
    if json:
        tracebacks = structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
        return [tracebacks, structlog.processors.JSONRenderer(serializer=_orjson)]
    console = structlog.dev.ConsoleRenderer(
        colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback
    )
    return [console]


_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(json: bool, level: str, stream: TextIO | None = None, *, only: bool = False) -> None:
    """Send every log record (ours, the domain's, uvicorn's) to ``stream`` (stderr) at ``level``;
    ``only``: through our handler alone, removing the root logger's others (the Lambda runtime
    client's, which would write each record a second time, in its own format)."""
    out = stream if stream is not None else _STDERR
    renderer = _renderer(json, out)
    structlog.configure(
        processors=[*_SHARED, structlog.processors.StackInfoRenderer(), *renderer],
        logger_factory=_named_write_loggers(out),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            # Records from the standard library: their extra={...} fields become keys.
            foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder(), _drop_color_message],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    _install(handler, level.upper(), only)


def _install(handler: logging.Handler, level: str, only: bool) -> None:
    root = logging.getLogger()
    for existing in [h for h in root.handlers if only or h.get_name() == _HANDLER]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _ROUTED:
        routed = logging.getLogger(name)
        routed.handlers.clear()
        routed.propagate = True
    for name in _SILENCED:
        silenced = logging.getLogger(name)
        silenced.handlers.clear()
        silenced.propagate = False
        silenced.setLevel(logging.CRITICAL + 1)  # nothing reaches the last-resort handler either
