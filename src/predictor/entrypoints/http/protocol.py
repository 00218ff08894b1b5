"""What every prediction protocol shares: the content types it reads, reading a body (on a
worker thread when it is big), and calling a use case on the event loop for small batches or on
a worker thread for big ones (a small batch's model call is shared with the other requests of
the same turn of the event loop: ``services/serving/batching.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request

from predictor.domain.options import PredictionOptions
from predictor.entrypoints.http.dependencies import container_of
from predictor.services.serving.batching import INLINE_ROWS
from predictor.services.serving.prediction import PredictionResult

# Bodies up to this size are parsed on the event loop; bigger ones on a worker thread, so that
# parsing megabytes never holds up the other requests (health checks among them).
INLINE_BODY_BYTES = 64 * 1024

JSON = "application/json"
CSV = "text/csv"

T = TypeVar("T")


def media_type(header: str | None, accepted: tuple[str, ...] = (JSON,)) -> str:
    """The request's media type, one of ``accepted`` in UTF-8; anything else is a 415 problem."""
    media, *parameters = [part.strip() for part in (header or "").split(";")]
    media = media.lower()
    charset = next(
        (p.partition("=")[2].strip('"').lower() for p in parameters if p.lower().startswith("charset=")),
        "utf-8",
    )
    if media not in accepted or charset not in ("utf-8", "utf8"):
        choices = " or ".join(accepted)
        shown = header or "none"
        raise HTTPException(415, detail=f"send {choices} (UTF-8); the request's Content-Type is {shown!r}")
    return media


async def parsed_body(request: Request, parse: Callable[[bytes], T]) -> T:
    """``parse(body)``: on the event loop for a small body, on a worker thread for a big one."""
    body = await request.body()
    if len(body) > INLINE_BODY_BYTES:
        return await anyio.to_thread.run_sync(parse, body)
    return parse(body)


async def call(function: Callable[..., T], rows: int | None, *args: object) -> T:
    """``function(*args)``, on a worker thread when the batch has more than ``INLINE_ROWS`` rows."""
    if rows is not None and rows > INLINE_ROWS:
        return await anyio.to_thread.run_sync(function, *args)
    return function(*args)


async def predict_rows(
    request: Request,
    rows: int | None,
    batch: object,
    options: PredictionOptions | None,
    where: str = "parameters",
) -> PredictionResult:
    """The served model's ``MakePrediction(batch, options, where)``."""
    return await container_of(request).make_prediction()(batch, options, where)
