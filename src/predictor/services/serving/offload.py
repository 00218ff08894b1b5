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

One process, as the serving process starts, asks and stops it, is a ``DecoderChild``
(``decoder_child``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from predictor.domain.encoding.rows import EncodedRows, RowEncoder
from predictor.domain.errors import DecoderUnavailable, InvalidInput
from predictor.domain.schema import FeatureSchema
from predictor.services.serving.decoder_child import DecoderChild, stop_all
from predictor.services.serving.loading import ServedModel

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from predictor.services.serving.decoder_process import Reader

# The executor is imported with the first big body, not on the serving process's start path.
log = logging.getLogger(__name__)

# Far above any body's reading (see docs/performance.md); a process that takes longer is stuck.
DECODE_TIMEOUT_S = 30.0


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
        self._running: set[DecoderChild] = set()
        self._lock = threading.Lock()
        self._tokens: weakref.WeakKeyDictionary[RowEncoder, int] = weakref.WeakKeyDictionary()
        self._counter = itertools.count(1)
        self._closed = False
        self._finalizer = weakref.finalize(self, stop_all, self._running)

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

    def _process(self) -> DecoderChild:
        if self._closed:
            raise DecoderUnavailable("the service is stopping; its decoder processes are stopped")
        process: DecoderChild | None = getattr(self._mine, "process", None)
        if process is None or process.popen.poll() is not None:
            if process is not None:
                self._forget(process)
                process.stop()
            process = DecoderChild(self._timeout_s)
            self._mine.process = process
            with self._lock:
                self._running.add(process)
        return process

    def _forget(self, process: DecoderChild) -> None:
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
        stop_all(running)
