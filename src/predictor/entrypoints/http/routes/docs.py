"""``/openapi.json``, ``/docs`` and ``/redoc``, behind the API key when settings ask for it."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse, Response

from predictor.entrypoints.http.responses import OrjsonResponse
from predictor.entrypoints.http.routes.table import RouteTable
from predictor.entrypoints.http.security import require_api_key

OPENAPI_PATH = "/openapi.json"


def docs_routes(require_key: bool) -> RouteTable:
    routes = RouteTable(
        include_in_schema=False, dependencies=[Depends(require_api_key)] if require_key else []
    )

    @routes.get(OPENAPI_PATH)
    async def openapi(request: Request) -> Response:
        return OrjsonResponse(request.app.openapi())

    @routes.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=OPENAPI_PATH, title=f"{request.app.title} — API docs")

    @routes.get("/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(openapi_url=OPENAPI_PATH, title=f"{request.app.title} — API reference")

    return routes
