"""What the MLflow registry and tracker share: client construction, short HTTP retries,
and the translation of MLflow's exceptions into the domain's."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import sqlalchemy.exc
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from predictor.domain.errors import ConfigurationError, ModelNotFound, ModelUnavailable, PredictorError

# MLflow's own defaults (7 retries, backoff factor 2, 120 s timeout, honouring Retry-After)
# keep a process waiting minutes for a server that is down. With these, a server refusing
# connections fails in about 2 s (two quick retries), so serving falls back to its cached
# model quickly; a silent network (packets dropped) costs at most 3 x 5 s. Values the user
# set in the environment always win.
HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.5",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
    "MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER": "false",
    # Not HTTP, but a default of the same kind: a progress bar on stderr is noise in a service's log.
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}
NOT_FOUND = frozenset({"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"})
REFUSED = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "INVALID_STATE"})
_MAX_MESSAGE = 300
_USERINFO = re.compile(r"://[^/@\s]+@")
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()]+)")
# requests' and urllib3's connection errors are OSErrors; databases raise their own.
_TRANSPORT: tuple[type[Exception], ...] = (OSError, sqlalchemy.exc.SQLAlchemyError, sqlite3.Error)
_TRANSLATED: tuple[type[Exception], ...] = (MlflowException, *_TRANSPORT)


def apply_http_defaults() -> None:
    """Shorten MLflow's HTTP retries unless the user configured them."""
    for name, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)


def make_client(uri: str) -> MlflowClient:
    """A client bound to ``uri`` for tracking and registry alike (no process-global URI)."""
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def describe_store(uri: str) -> str:
    """The store, named for a person without credentials or local file paths."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and parts.hostname:
        port = f":{parts.port}" if parts.port else ""
        return f"the MLflow server at {parts.scheme}://{parts.hostname}{port}"
    scheme = parts.scheme.split("+")[0] or "file"
    return f"the MLflow {scheme} store"


def message(exc: BaseException) -> str:
    """The first line of what ``exc`` says, without credentials or a file path."""
    text = exc.message if isinstance(exc, MlflowException) else str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror  # the errno text, without the file path
    elif errno_text := _ERRNO.search(text):
        text = errno_text[1]  # requests buries "Connection refused" at the end of a long repr
    first = _USERINFO.sub("://", text.strip().splitlines()[0]) if text.strip() else ""
    return first if len(first) <= _MAX_MESSAGE else first[: _MAX_MESSAGE - 1] + "…"


def reason(exc: BaseException) -> str:
    """One line saying what went wrong, for a log or a 503: no stack trace."""
    text = message(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _transport_failure(exc: BaseException) -> BaseException | None:
    """The network or database error behind ``exc``, if any (MLflow wraps them)."""
    seen: BaseException | None = exc
    for _ in range(10):  # causes can form a cycle; the chain that matters is short
        if seen is None:
            return None
        if isinstance(seen, _TRANSPORT):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def mlflow_errors(store: str, missing: str, missing_codes: frozenset[str] = NOT_FOUND) -> Iterator[None]:
    """Translate what MLflow raises inside the block.

    ``missing`` says, in the user's words, what was not found (``models:/demo@production``).
    Not found -> ModelNotFound; a request the store refuses as invalid -> ConfigurationError;
    anything else from MLflow, the network or the database -> ModelUnavailable.
    """
    try:
        yield
    except PredictorError:
        raise
    except _TRANSLATED as exc:
        code = exc.error_code if isinstance(exc, MlflowException) else None
        if code in missing_codes:
            raise ModelNotFound(f"{missing} ({message(exc)})") from exc
        if code in REFUSED:
            raise ConfigurationError(f"{store} refused the request: {reason(exc)}") from exc
        failure = _transport_failure(exc)
        if failure is not None:
            raise ModelUnavailable(f"{store} cannot be reached: {reason(failure)}") from exc
        raise ModelUnavailable(f"{store} cannot be used right now: {reason(exc)}") from exc
