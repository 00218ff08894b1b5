"""/docs and /redoc load Swagger UI and ReDoc from the installed fastapi-offline package, under
a Content-Security-Policy of their own; the assets are public and cacheable."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.routes.docs import SWAGGER_UI_INIT, SWAGGER_UI_INIT_JS, vendored_assets_dir
from tests.unit.http.conftest import AUTH, FAST_RETRY, assert_problem, serve, trained_container

PAGES = ("/docs", "/redoc")
ASSETS = {
    "/docs/assets/swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "/docs/assets/swagger-ui-init.js": "text/javascript; charset=utf-8",
    "/docs/assets/swagger-ui.css": "text/css; charset=utf-8",
    "/docs/assets/redoc.standalone.js": "text/javascript; charset=utf-8",
    "/docs/assets/favicon.png": "image/png",
}


URL_ATTRIBUTES = frozenset({"src", "href", "spec-url", "data-openapi-url"})


class References(HTMLParser):
    """The URLs a page loads (``src`` and ``href``), and its scripts without ``src``."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        # spec-url: ReDoc's document; data-openapi-url: Swagger UI's (swagger-ui-init.js).
        self.urls += [url for name, url in attrs if name in URL_ATTRIBUTES and url]
        if tag == "script" and not found.get("src"):
            self.inline_scripts += 1


def references(html: str) -> References:
    parser = References()
    parser.feed(html)
    return parser


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


@pytest.mark.parametrize(("path", "content_type"), ASSETS.items())
def test_each_asset_is_served_with_its_type_and_cached_publicly(
    client: TestClient, path: str, content_type: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=86400"
    name = path.rsplit("/", 1)[1]
    if name == SWAGGER_UI_INIT:
        assert response.text == SWAGGER_UI_INIT_JS
    else:
        assert response.content == (vendored_assets_dir() / name).read_bytes()


def test_the_assets_are_fastapi_offlines_files() -> None:
    folder = vendored_assets_dir()
    assert folder.parent.name == "fastapi_offline"
    assert {p.name for p in folder.iterdir()} >= {"swagger-ui-bundle.js", "redoc.standalone.js"}


def test_only_the_listed_assets_are_served(client: TestClient) -> None:
    for path in ("/docs/assets/core.py", "/docs/assets/", "/docs/assets/..%2F__init__.py"):
        assert_problem(client.get(path), 404, "not-found")


@pytest.mark.parametrize("page", PAGES)
def test_each_page_loads_only_from_its_own_origin(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    urls = references(response.text).urls
    assert "/openapi.json" in urls
    assets = [url for url in urls if url != "/openapi.json"]
    assert assets
    for url in assets:
        assert url.startswith("/docs/assets/"), url
        assert client.get(url).status_code == 200, url


def test_swagger_ui_runs_no_inline_script_and_reads_the_document_url_from_its_tag(client: TestClient) -> None:
    page = client.get("/docs").text
    assert references(page).inline_scripts == 0
    assert 'data-openapi-url="/openapi.json"' in page
    assert "document.currentScript.dataset.openapiUrl" in SWAGGER_UI_INIT_JS


@pytest.mark.parametrize("page", PAGES)
def test_each_page_sends_a_same_origin_content_security_policy(client: TestClient, page: str) -> None:
    policy = directives(client.get(page).headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert not any("unsafe-eval" in sources for sources in policy.values())


def test_only_redoc_allows_inline_styles_and_blob_workers(client: TestClient) -> None:
    swagger_ui = directives(client.get("/docs").headers["content-security-policy"])
    redoc = directives(client.get("/redoc").headers["content-security-policy"])
    assert swagger_ui["style-src"] == ["'self'"]
    assert "worker-src" not in swagger_ui
    assert redoc["style-src"] == ["'self'", "'unsafe-inline'"]
    assert redoc["worker-src"] == ["blob:"]


def test_behind_a_proxy_prefix_the_pages_name_their_urls_under_it() -> None:
    app = create_app(trained_container(), load_backoff=FAST_RETRY)
    with TestClient(app, root_path="/api") as client:
        for page in PAGES:
            urls = references(client.get(f"/api{page}").text).urls
            assert urls
            assert all(url.startswith("/api/") for url in urls), urls
            assert "/api/openapi.json" in urls


def test_the_assets_need_no_key_when_the_pages_do() -> None:
    with serve(trained_container(docs_require_key=True)) as client:
        for page in PAGES:
            assert_problem(client.get(page), 401, "unauthorized")
            for url in references(client.get(page, headers=AUTH).text).urls:
                if url.startswith("/docs/assets/"):
                    assert client.get(url).status_code == 200, url


def test_the_assets_are_not_served_when_the_docs_are_disabled() -> None:
    with serve(trained_container(docs_enabled=False)) as client:
        for path in ASSETS:
            assert_problem(client.get(path), 404, "not-found")
