"""Logging: structlog for our own events, and stdlib records rendered the same way.

The domain logs through ``logging.getLogger(__name__)`` with ``extra={...}``; those records go
through structlog's ``ProcessorFormatter``, so they come out in the same format (JSON lines in
production, coloured console lines in development) with their extra fields and the request id
bound by the HTTP middleware. Logs go to stderr: stdout belongs to the CLI's output.

Our own events (the access line of every request among them) take a shorter road: filtered
by level where they are logged, rendered by structlog and written as one line, without a
stdlib ``LogRecord`` and handler in between: through the standard library the access line was
a third of a small request's time (docs/performance.md has the figures).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import orjson
import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

# uvicorn's own access line repeats ours, and would log query strings (where a careless client
# may have put an API key); its other loggers are routed through ours. Silenced with no handler
# at all: uvicorn builds its access record for every response when the logger has a handler,
# even a NullHandler (measured under load with py-spy; docs/performance.md).
_SILENCED = ("uvicorn.access",)
_ROUTED = ("uvicorn", "uvicorn.error")


class _PredictorHandler(logging.StreamHandler[TextIO]):
    """Our root handler, told apart so configuring twice replaces it instead of adding another."""


class _StderrHandler(_PredictorHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted, as the standard library's
    last-resort handler does, so a swapped stderr (pytest's capture, a daemon's redirect) works."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def _drop_color_message(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    # uvicorn passes a second, ANSI-coloured copy of its message as an extra field.
    event_dict.pop("color_message", None)
    return event_dict


def _render_json(logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
    return orjson.dumps(event_dict, default=repr).decode()


def _add_logger_name(logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    event_dict.setdefault("logger", getattr(logger, "name", None))
    return event_dict


class LineWriter:
    """The logger under structlog for our own events: writes each rendered event as a line to
    ``stream``, or to whatever ``sys.stderr`` is at the time (pytest's capture, a redirect)."""

    def __init__(self, name: str | None, stream: TextIO | None) -> None:
        self.name = name
        self._stream = stream

    def msg(self, message: str) -> None:
        out = self._stream if self._stream is not None else sys.stderr
        out.write(message + "\n")
        out.flush()

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def configure_logging(json: bool, level: str, stream: TextIO | None = None) -> None:
    """Send every log record (ours, the domain's, uvicorn's) to ``stream`` (stderr) at ``level``."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Tracebacks without frame locals, in both formats: a request's locals hold its ASGI scope,
    # and with it the API key of its headers. The plain console traceback also renders in
    # milliseconds, where rich's (the default when rich is installed) held the event loop.
    renderer: list[Processor]
    if json:
        tracebacks = structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False))
        renderer = [tracebacks, _render_json]
    else:
        renderer = [
            structlog.dev.ConsoleRenderer(
                colors=(stream or sys.stderr).isatty(), exception_formatter=structlog.dev.plain_traceback
            )
        ]
    handler = _PredictorHandler(stream) if stream is not None else _StderrHandler()

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            _add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            *renderer,
        ],
        logger_factory=lambda *args: LineWriter(args[0] if args else None, stream),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Records from the standard library: their extra={...} fields become keys.
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_color_message],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for existing in [h for h in root.handlers if isinstance(h, _PredictorHandler)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _ROUTED:
        routed = logging.getLogger(name)
        routed.handlers.clear()
        routed.propagate = True
    for name in _SILENCED:
        silenced = logging.getLogger(name)
        silenced.handlers.clear()
        silenced.propagate = False
        silenced.setLevel(logging.CRITICAL + 1)  # nothing reaches the last-resort handler either
