"""Big request bodies read and encoded in decoder processes, so that parsing them never holds
the serving process's GIL (and with it its event loop).

``BodyDecoder.decode(read, body, served)`` runs ``read(body, schema)`` (a protocol's body
reader: the envelope's own values and the rows) and encodes the rows with the served model's
``RowEncoder`` in a decoder process (``decoder_process``), and returns the envelope and an
``EncodedBatch``: the float32 matrix, or the ``InvalidInput`` that encoding gave, exactly as
``MakePrediction`` would have met it in process.

- Processes start on the first body that needs one, up to ``processes``; each learns a model
  version's encoder (its feature schema) with the first body it reads for it.
- ``read`` must pickle by reference (a module-level function, or a ``functools.partial`` of
  one) and live in a module that imports no web framework: the decoder process imports it.
- A process that stops or hangs (``DECODE_TIMEOUT_S``) is replaced and the body is read again
  on the fresh one; when that one stops too, ``DecoderUnavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from predictor.domain.encoding.rows import EncodedRows, RowEncoder
from predictor.domain.errors import DecoderUnavailable, InvalidInput
from predictor.domain.schema import FeatureSchema
from predictor.services.serving.loading import ServedModel

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from predictor.services.serving.decoder_process import Reader

# The process side (``decoder_process``) and the executor are imported with the first big body,
# not on the serving process's start path.
_PROCESS_MODULE = "predictor.services.serving.decoder_process"

log = logging.getLogger(__name__)

# Far above any body's reading (see docs/performance.md); a process that takes longer is stuck.
DECODE_TIMEOUT_S = 30.0
_SOURCE = str(Path(__file__).resolve().parents[3])  # the directory holding this ``predictor``


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """Rows a decoder process read and encoded for ``served``: a ``ModelInput`` whose encoding is
    done. Predicting it uses ``served``, the model it was encoded for, whatever serves by then."""

    size: int | None
    outcome: EncodedRows | InvalidInput | None
    served: ServedModel

    def encode(self, encoder: RowEncoder) -> EncodedRows:
        if encoder is not self.served.encoder:
            raise ValueError("these rows were encoded for another model")
        if self.outcome is None:
            raise ValueError("these rows were not encoded: more than the decoder's max_rows")
        if isinstance(self.outcome, InvalidInput):
            raise self.outcome
        return self.outcome


class _Process:
    """One decoder process, and the encoder tokens it has learned (as it keeps them)."""

    def __init__(self, timeout_s: float) -> None:
        from predictor.services.serving import decoder_process

        self._frames = decoder_process
        self.timeout_s = timeout_s
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, (_SOURCE, environment.get("PYTHONPATH"))))
        self.popen = subprocess.Popen(  # noqa: S603  # this interpreter, our own module
            # Not ``-m``: its replies' classes must pickle under the module's own name.
            [sys.executable, "-c", f"from {_PROCESS_MODULE} import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=environment,
        )
        if self.popen.stdin is None or self.popen.stdout is None:  # pragma: no cover  # both piped
            raise RuntimeError("a decoder process without pipes")
        self.requests: IO[bytes] = self.popen.stdin
        self.replies: IO[bytes] = self.popen.stdout
        self.known: dict[int, None] = {}
        log.info("decoder process started", extra={"pid": self.popen.pid})

    def ask(self, token: int, schema: FeatureSchema, read: Reader, max_rows: int, body: bytes) -> object:
        """The process's reply; ``EOFError`` or ``OSError`` when it stops or hangs meanwhile."""
        learn = token not in self.known
        header = pickle.dumps(self._frames.Header(token, schema if learn else None, read, max_rows))
        watchdog = threading.Timer(self.timeout_s, self.popen.kill)
        watchdog.start()
        try:
            self._frames.write_frame(self.requests, header, body)
            if learn:
                self.known[token] = None
                while len(self.known) > self._frames.KEPT_ENCODERS:
                    del self.known[next(iter(self.known))]
            reply = self._frames.read_reply(self.replies)
        finally:
            watchdog.cancel()
        return pickle.loads(reply)  # noqa: S301  # from our own decoder process

    def stop(self) -> int | None:
        """Close its input (it ends), kill it if it does not; its exit code."""
        for stream in (self.requests, self.replies):
            with contextlib.suppress(OSError):  # a broken pipe: it is gone already
                stream.close()
        try:
            return self.popen.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()


def _stop_all(processes: Iterable[_Process]) -> None:
    for process in list(processes):
        process.stop()


class BodyDecoder:
    """Reads big bodies in up to ``processes`` decoder processes (0: none; ``enabled`` is False),
    one body at a time each; further bodies wait for one. A process that has not answered after
    ``timeout_s`` is killed (and the body read again on a fresh one)."""

    def __init__(self, processes: int, max_rows: int, timeout_s: float = DECODE_TIMEOUT_S) -> None:
        self.processes = processes
        self._max_rows = max_rows
        self._timeout_s = timeout_s
        self._executor: ThreadPoolExecutor | None = None
        self._mine = threading.local()  # each executor thread drives one process
        self._running: set[_Process] = set()
        self._lock = threading.Lock()
        self._tokens: weakref.WeakKeyDictionary[RowEncoder, int] = weakref.WeakKeyDictionary()
        self._counter = itertools.count(1)
        self._closed = False
        self._finalizer = weakref.finalize(self, _stop_all, self._running)

    @property
    def enabled(self) -> bool:
        return self.processes > 0 and not self._closed

    @property
    def pids(self) -> tuple[int, ...]:
        """The running decoder processes."""
        with self._lock:
            return tuple(process.popen.pid for process in self._running)

    async def decode(self, read: Reader, body: bytes, served: ServedModel) -> tuple[Any, EncodedBatch]:
        """``read(body, schema)`` and the rows encoded for ``served``, in a decoder process.

        Raises what ``read`` raises (``InvalidInput`` …), as it raised it; ``DecoderUnavailable``
        when two processes in turn stop while reading it."""
        from predictor.services.serving.decoder_process import Failed, Read, Refused

        token = self._tokens.setdefault(served.encoder, next(self._counter))
        schema = served.encoder.schema
        reply = await asyncio.wrap_future(self._executor_now().submit(self._ask, token, schema, read, body))
        if isinstance(reply, Refused | Failed):
            raise reply.error
        assert isinstance(reply, Read)  # noqa: S101  # the three replies a process sends
        return reply.envelope, EncodedBatch(reply.size, reply.outcome, served)

    def _executor_now(self) -> ThreadPoolExecutor:
        if self._closed:
            raise DecoderUnavailable("the service is stopping; its decoder processes are stopped")
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max(self.processes, 1), thread_name_prefix="body-decoder")
        return self._executor

    def _ask(self, token: int, schema: FeatureSchema, read: Reader, body: bytes) -> object:
        """On an executor thread: this thread's process's reply; a fresh process once if it stops."""
        for attempt in (1, 2):
            process = self._process()
            try:
                return process.ask(token, schema, read, self._max_rows, body)
            except (EOFError, OSError, ValueError):  # ValueError: its pipe closed by close()
                self._forget(process)
                code = process.stop()
                log.warning(
                    "decoder process stopped while reading a body; "
                    + ("reading it again on a fresh one" if attempt == 1 else "giving up"),
                    extra={"pid": process.popen.pid, "exit_code": code, "body_bytes": len(body)},
                )
        raise DecoderUnavailable(
            "the request body could not be read: the process reading it stopped, twice; try again"
        )

    def _process(self) -> _Process:
        if self._closed:
            raise DecoderUnavailable("the service is stopping; its decoder processes are stopped")
        process: _Process | None = getattr(self._mine, "process", None)
        if process is None or process.popen.poll() is not None:
            if process is not None:
                self._forget(process)
                process.stop()
            process = _Process(self._timeout_s)
            self._mine.process = process
            with self._lock:
                self._running.add(process)
        return process

    def _forget(self, process: _Process) -> None:
        with self._lock:
            self._running.discard(process)
        if getattr(self._mine, "process", None) is process:
            self._mine.process = None

    def close(self) -> None:
        """Stop every decoder process; bodies not begun yet are not read (the service is
        stopping). Later bodies are the caller's to read in process (``enabled`` is False)."""
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            running = list(self._running)
            self._running.clear()
        _stop_all(running)
