"""One decoder process seen from the serving process: started from this interpreter, asked to
read one body at a time over its pipes (with a watchdog that kills it when it hangs), stopped.

The process's own side, and the frames both sides write, are in ``decoder_process``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING

from predictor.domain.schema import FeatureSchema

if TYPE_CHECKING:
    from predictor.services.serving.decoder_process import Reader

# The process side (``decoder_process``) is imported with the first big body, not on the
# serving process's start path.
_PROCESS_MODULE = "predictor.services.serving.decoder_process"

log = logging.getLogger(__name__)
_SOURCE = str(Path(__file__).resolve().parents[3])  # the directory holding this ``predictor``


class DecoderChild:
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


def stop_all(processes: Iterable[DecoderChild]) -> None:
    """Stop each of ``processes`` (a copy is taken: the set may change meanwhile)."""
    for process in list(processes):
        process.stop()
