"""``/openapi.json``, ``/docs`` and ``/redoc``, behind the API key when settings ask for it, and
the pages' assets under ``/docs/assets/``, public.

The pages load Swagger UI and ReDoc from the installed ``fastapi-offline`` package, never a
CDN: they work offline, and each sends a Content-Security-Policy that allows its own origin
only. Swagger UI starts from a served script (``swagger-ui-init.js``), so its page runs no
inline script; ReDoc's styled components write ``<style>`` elements and its search runs in a
``blob:`` worker, so its policy allows inline styles and blob workers, nothing more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from html import escape
from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html
from starlette.responses import FileResponse, HTMLResponse, Response

from predictor.entrypoints.http.responses import OrjsonResponse
from predictor.entrypoints.http.security import API_KEY

OPENAPI_PATH = "/openapi.json"
ASSETS_PATH = "/docs/assets"
# The assets change only with an upgrade of fastapi-offline or of predictor: browsers may keep
# them a day without asking again.
ASSETS_CACHE_CONTROL = "public, max-age=86400"

# Both pages: scripts, styles, the document and the try-it-out calls from this origin only;
# images from it and data: URIs (both stylesheets inline their icons); not framed anywhere.
_SAME_ORIGIN = (
    "default-src 'none'; script-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SWAGGER_UI_CSP = f"{_SAME_ORIGIN}; style-src 'self'"
REDOC_CSP = f"{_SAME_ORIGIN}; style-src 'self' 'unsafe-inline'; worker-src blob:"

# fastapi-offline's files, served under their own names.
VENDORED_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}
SWAGGER_UI_INIT = "swagger-ui-init.js"
# Reads the document's URL from its own script tag, so the page needs no inline script.
SWAGGER_UI_INIT_JS = """\
"use strict";
window.ui = SwaggerUIBundle({
  url: document.currentScript.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""

SWAGGER_UI_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-ui-init.js" data-openapi-url="{openapi_url}"></script>
</body>
</html>
"""


@cache
def vendored_assets_dir() -> Path:
    """fastapi-offline's ``static/`` folder, found without importing the package (and its
    FastAPI subclass)."""
    spec = find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("fastapi-offline, which holds the docs assets, is not installed")
    return Path(spec.origin).parent / "static"


def _vendored(name: str, media_type: str) -> Callable[[], Awaitable[Response]]:
    async def asset() -> Response:
        headers = {"Cache-Control": ASSETS_CACHE_CONTROL}
        return FileResponse(vendored_assets_dir() / name, media_type=media_type, headers=headers)

    return asset


async def swagger_ui_init() -> Response:
    headers = {"Cache-Control": ASSETS_CACHE_CONTROL}
    return Response(SWAGGER_UI_INIT_JS, media_type="text/javascript", headers=headers)


def _root(request: Request) -> str:
    """The prefix the app is served under (the ASGI ``root_path``), or ``""``."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def docs_router(require_key: bool) -> APIRouter:
    """The pages (behind the key when ``require_key``) and their assets (public)."""
    router = APIRouter(include_in_schema=False)
    pages = APIRouter(dependencies=[API_KEY] if require_key else [], include_in_schema=False)

    @pages.get(OPENAPI_PATH)
    async def openapi(request: Request) -> Response:
        return OrjsonResponse(request.app.openapi())

    @pages.get("/docs")
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root(request)
        page = SWAGGER_UI_PAGE.format(
            title=escape(f"{request.app.title} — API docs"),
            assets=escape(root + ASSETS_PATH),
            openapi_url=escape(root + OPENAPI_PATH),
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": SWAGGER_UI_CSP})

    @pages.get("/redoc")
    async def redoc(request: Request) -> HTMLResponse:
        root = _root(request)
        page = get_redoc_html(
            openapi_url=root + OPENAPI_PATH,
            title=f"{request.app.title} — API reference",
            redoc_js_url=f"{root}{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = REDOC_CSP
        return page

    router.include_router(pages)
    for name, media_type in VENDORED_ASSETS.items():
        router.get(f"{ASSETS_PATH}/{name}", name=f"docs-asset:{name}")(_vendored(name, media_type))
    router.get(f"{ASSETS_PATH}/{SWAGGER_UI_INIT}", name=f"docs-asset:{SWAGGER_UI_INIT}")(swagger_ui_init)
    return router
