"""Read-ahead: an iterator's items produced one ahead on a thread, so reading overlaps using.

The next item is made (Arrow releases the GIL while it parses) while the caller works on this
one; at most two items are held at once. An error raised while producing is raised to the
caller, at the item where it happened. Closing the consumer stops the producer and closes the
source.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_Item = tuple[T | None, BaseException | None, bool]  # item, error, finished


class _Producer(Generic[T]):
    """The thread's side: the source's items into a one-slot queue until stopped."""

    def __init__(self, chunks: Iterator[T]) -> None:
        self.chunks = chunks
        self.ready: queue.Queue[_Item[T]] = queue.Queue(maxsize=1)
        self.stop = threading.Event()

    def offer(self, item: _Item[T]) -> bool:
        while not self.stop.is_set():
            try:
                self.ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce(self) -> None:
        try:
            for chunk in self.chunks:
                if not self.offer((chunk, None, False)):
                    return
            self.offer((None, None, True))
        except BaseException as exc:  # noqa: BLE001  # handed to the caller, raised there
            self.offer((None, exc, True))
        finally:
            close = getattr(self.chunks, "close", None)
            if close is not None:
                close()


def read_ahead(chunks: Iterator[T]) -> Iterator[T]:
    """``chunks``, produced one ahead on a thread: the next chunk is parsed (Arrow releases the
    GIL) while the caller predicts this one. At most two chunks are held at once."""
    producer = _Producer(chunks)
    thread = threading.Thread(target=producer.produce, name="predictor-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            chunk, error, finished = producer.ready.get()
            if error is not None:
                raise error
            if finished:
                return
            yield chunk  # type: ignore[misc]  # not None unless finished
    finally:
        producer.stop.set()
        thread.join()
