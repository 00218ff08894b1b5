"""Where captured requests are kept: a local directory, S3, memory in tests."""

from __future__ import annotations

from typing import Protocol

from predictor.domain.capture import CapturedRows


class CaptureStore(Protocol):
    """Keeps batches of captured rows, one file (or object) per batch, by served model name.

    ``put_batch`` stores ``rows`` under ``served`` (the name the model is served as) as one new
    batch, all of it or nothing: a reader never sees part of a batch. It returns where the batch
    went (a path or an ``s3://`` URI). It raises ``CaptureUnavailable``, naming the place and
    no credential, when the batch cannot be stored (a full disk, a directory it may not write,
    a bucket that is missing or cannot be reached). It is called from a background writer,
    never from a request.
    """

    def put_batch(self, served: str, rows: CapturedRows) -> str: ...
