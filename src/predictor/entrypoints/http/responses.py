"""The JSON response of the service (orjson) and the model block every body shares."""

from __future__ import annotations

import orjson
from starlette.responses import Response

from predictor.services.serving.codecs.predictor import model_info

__all__ = ["OrjsonResponse", "model_info"]


class OrjsonResponse(Response):
    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return orjson.dumps(content)
