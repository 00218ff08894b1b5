"""The JSON response of the service (orjson) and the model block every body shares."""

from __future__ import annotations

import orjson
from starlette.responses import Response

from predictor.services.serving.loading import ServedModel


class OrjsonResponse(Response):
    media_type = "application/json"

    def render(self, content: object) -> bytes:
        return orjson.dumps(content)


def model_info(served: ServedModel) -> dict[str, object]:
    version = served.version
    return {"name": version.name, "version": version.version, "alias": served.alias, "run_id": version.run_id}
