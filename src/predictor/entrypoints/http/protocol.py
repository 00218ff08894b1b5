"""What every prediction protocol shares: the content types it reads, reading a body (in a
decoder process when it is big), and calling a use case on the event loop for small batches or on
a worker thread for big ones; a small batch's model call is shared with the other requests of
the same turn of the event loop (``batching.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request

from predictor.domain.encoding.inputs import ModelInput
from predictor.domain.options import PredictionOptions
from predictor.domain.schema import FeatureSchema
from predictor.entrypoints.http.dependencies import container_of, model_calls_of
from predictor.services.serving.loading import ServedModel
from predictor.services.serving.prediction import PredictionResult

# Up to this many rows, predicting on the event loop costs less than a hop to a worker thread;
# bigger batches go to a thread so they do not hold up other requests.
INLINE_ROWS = 64
# Bodies up to this size are parsed on the event loop; bigger ones in a decoder process, so that
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


async def decoded_body(
    request: Request,
    read: Callable[[bytes, FeatureSchema | None], tuple[T, ModelInput]],
    served: ServedModel | None = None,
) -> tuple[T, ModelInput]:
    """``read(body, schema)``: the envelope's values and the rows. A small body is read on the
    event loop. A big one is read, and its rows encoded, in a decoder process (the app's
    ``BodyDecoder``) for ``served`` (default: the model serving now); on a worker thread when
    there is no decoder or no model yet. ``read`` must suit a decoder process (see
    ``predict_protocol``)."""
    body = await request.body()
    if served is None:
        served = container_of(request).slot().peek()
    schema = served.model.manifest.schema if served is not None else None
    if len(body) <= INLINE_BODY_BYTES:
        return read(body, schema)
    decoder = container_of(request).body_decoder()
    if served is None or not decoder.enabled:
        return await anyio.to_thread.run_sync(read, body, schema)
    return await decoder.decode(read, body, served)


def _on_a_thread(rows: int | None) -> bool:
    return rows is not None and rows > INLINE_ROWS


async def call(function: Callable[..., T], rows: int | None, *args: object) -> T:
    """``function(*args)``, on a worker thread when the batch has more than ``INLINE_ROWS`` rows:
    a use case, or building the answer (Python objects per row, which hold the GIL but hand it
    over to the loop every switch interval on a thread)."""
    if _on_a_thread(rows):
        return await anyio.to_thread.run_sync(function, *args)
    return function(*args)


async def predict_rows(
    request: Request,
    rows: int | None,
    batch: object,
    options: PredictionOptions | None,
    where: str = "parameters",
) -> PredictionResult:
    """The served model's ``MakePrediction(batch, options, where)``: on a worker thread past
    ``INLINE_ROWS`` rows; otherwise prepared on the event loop, its model call shared with the
    other requests of this turn (the app's ``SharedModelCalls``)."""
    make_prediction = container_of(request).make_prediction()
    if _on_a_thread(rows):
        return await anyio.to_thread.run_sync(make_prediction, batch, options, where)
    prepared = make_prediction.prepare(batch, options, where)
    return prepared.scored(await model_calls_of(request).scores(prepared.model.model, prepared.matrix))
