"""The OpenAPI document, built the first time it is asked for.

Every endpoint returns its own ``Response``: response models, problem responses and request
body schemas only shape the document. Declaring them on the serving app cost start-up time
that no prediction uses (the pydantic models of ``schemas.py``, a response field per route and
the ``pydantic.v1`` import FastAPI makes to check them; docs/performance.md). So the serving
app declares its routes bare, and the first ``/openapi.json`` declares the same route tables,
documented, on a FastAPI app of its own that renders the document; the app keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from predictor.entrypoints.http.routes.table import RouteTable


class DocumentedApp(FastAPI):
    """A FastAPI app whose ``openapi()`` renders ``documented`` route tables, on first call."""

    documented: Sequence[RouteTable] = ()

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            from predictor.entrypoints.http import schemas  # the document's models only

            renderer = FastAPI(title=self.title, version=self.version, description=self.description)
            for table in self.documented:
                table.add_to(renderer, models=schemas)
            self.openapi_schema = renderer.openapi()
        return self.openapi_schema
