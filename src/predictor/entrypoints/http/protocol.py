"""What every prediction route shares: the key's model scope checked, the request handed to the
serving core, its answer as a response, and running a use case on a worker thread for big batches."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from predictor.container import Container
from predictor.services.serving.auth import ModelScopes
from predictor.services.serving.batching import INLINE_ROWS
from predictor.services.serving.codecs.v2 import BINARY_HEADER
from predictor.services.serving.core import Codec, InferenceRequest

T = TypeVar("T")

# The request headers a codec may look at (lower case).
_HEADERS = (BINARY_HEADER,)


async def call(function: Callable[..., T], rows: int | None, *args: object) -> T:
    """``function(*args)``, on a worker thread when the batch has more than ``INLINE_ROWS`` rows."""
    if rows is not None and rows > INLINE_ROWS:
        return await anyio.to_thread.run_sync(function, *args)
    return function(*args)


def check_model_scope(request: Request, name: str | None) -> None:
    """``Forbidden`` when the request's client key is scoped to models other than ``name``
    (``PREDICTOR_API_KEY_MODELS``); every route that serves a model checks it, by the served
    name (None: the default model's, for the routes that name none)."""
    if name is None:
        container: Container = request.app.state.container
        name = container.served_models().default_name
    scopes: ModelScopes = request.app.state.model_scopes
    scopes.check(getattr(request.state, "key_id", None), name)


async def answer(
    request: Request, codec: Codec, model: str | None = None, version: str | None = None
) -> Response:
    """The serving core's answer to this request, in ``codec``'s protocol. Domain errors propagate
    to the error table (``errors.py``)."""
    check_model_scope(request, model)
    headers = request.headers
    inference = InferenceRequest(
        body=await request.body(),
        content_type=headers.get("content-type"),
        request_id=request.state.request_id,
        headers={name: headers[name] for name in _HEADERS if name in headers},
        model=model,
        version=version,
    )
    container: Container = request.app.state.container
    answered = await container.serving_core().infer(codec, inference)
    request.state.model_version = answered.model_version
    return Response(
        answered.body, status_code=answered.status, media_type=answered.media_type, headers=answered.headers
    )
