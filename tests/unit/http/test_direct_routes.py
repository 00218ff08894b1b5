"""The prediction routes are answered by ``DirectRoutes``, without FastAPI's routing layer, and
answer exactly what FastAPI's routing of the same endpoints answers: bodies, statuses, headers,
errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from predictor.adapters.memory import RecordingMetricsSink
from predictor.entrypoints.http.app import create_app
from predictor.entrypoints.http.direct import DirectRoutes
from predictor.entrypoints.http.loading import flush_metrics
from predictor.entrypoints.http.routes.table import RouteTable
from tests.unit.http.conftest import AUTH, FAST_RETRY, assert_problem, row, serve, trained_container

REQUEST_ID = {"X-Request-ID": "same-id-for-both-apps"}
V2_BODY = {
    "inputs": [
        {"name": "x1", "shape": [2], "datatype": "FP32", "data": [0.5, -3.0]},
        {"name": "x2", "shape": [2], "datatype": "FP64", "data": [-0.25, 1.0]},
        {"name": "colour", "shape": [2], "datatype": "BYTES", "data": ["red", "violet"]},
    ]
}
CSV_BODY = b"x1,x2,colour\n0.5,-0.25,red\n1.5,,blue\n"

# (method, path, keyword arguments of TestClient.request): successes and each kind of error.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/predict", {"json": {"instances": [row(), row(x1=-2.0, colour="violet")]}}),
    ("POST", "/v1/predict", {"json": {"instances": [row()], "parameters": {"output": "probabilities"}}}),
    ("POST", "/predict", {"json": {"instances": [row(x1="high")]}}),  # 400, field errors
    ("POST", "/predict", {"content": b"{not json"}),  # 400
    ("POST", "/predict", {"json": {"instances": [row()]}, "auth": False}),  # 401
    ("POST", "/predict?api_key=x", {"json": {"instances": [row()]}}),  # 401, key in the URL
    ("POST", "/predict", {"content": b"x" * 5000}),  # 413
    ("POST", "/v1/explain", {"json": {"instances": [row()]}}),
    ("POST", "/invocations", {"json": {"dataframe_records": [row()]}}),
    ("POST", "/invocations", {"content": CSV_BODY, "headers": {"Content-Type": "text/csv"}}),
    ("POST", "/invocations", {"content": b"x1\n1", "headers": {"Content-Type": "text/plain"}}),  # 415
    ("POST", "/v2/models/demo/infer", {"json": V2_BODY}),
    ("POST", "/v2/models/demo/versions/1/infer", {"json": V2_BODY}),
    ("POST", "/v2/models/other/infer", {"json": V2_BODY}),  # 404, another model
    ("POST", "/v2/models/demo/infer", {"json": {"inputs": "x"}}),  # 400, "error" field too
    ("GET", "/predict", {}),  # 405: not a direct route, FastAPI answers both
]


@contextmanager
def routed_by_fastapi() -> Iterator[TestClient]:
    """The same app without ``DirectRoutes``: every route goes through FastAPI's router."""
    app = create_app(trained_container(max_body_bytes=4096), load_backoff=FAST_RETRY)
    app.user_middleware = [m for m in app.user_middleware if cast(object, m.cls) is not DirectRoutes]
    with TestClient(app) as client:
        yield client


Answer = tuple[int, dict[str, str], Any]


def answer(client: TestClient, method: str, path: str, options: dict[str, Any]) -> Answer:
    options = dict(options)
    headers = {**REQUEST_ID, **(AUTH if options.pop("auth", True) else {}), **options.pop("headers", {})}
    response = client.request(method, path, headers=headers, **options)
    kept = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
    body = response.json() if "json" in response.headers.get("content-type", "") else response.text
    return response.status_code, kept, body


def test_direct_routes_answer_what_fastapi_routing_answers() -> None:
    with serve(trained_container(max_body_bytes=4096)) as direct, routed_by_fastapi() as routed:
        for method, path, options in CASES:
            got, expected = answer(direct, method, path, options), answer(routed, method, path, options)
            assert got == expected, (method, path)


def test_the_cases_cover_successes_and_every_error_status() -> None:
    with serve(trained_container(max_body_bytes=4096)) as client:
        statuses = sorted({answer(client, m, p, o)[0] for m, p, o in CASES})
    assert statuses == [200, 400, 401, 404, 405, 413, 415]


def test_a_direct_route_is_not_passed_on_and_other_requests_are() -> None:
    passed_on: list[str] = []

    async def framework(scope: Scope, receive: Receive, send: Send) -> None:
        passed_on.append(f"{scope['method']} {scope['path']}")
        await PlainTextResponse("framework")(scope, receive, send)

    async def endpoint(request: Request, name: str) -> Response:
        return PlainTextResponse(f"direct {name} {request.scope['route'].path}")

    app = FastAPI()
    app.add_api_route("/v2/models/{name}/infer", endpoint, methods=["POST"])
    route = app.router.routes[-1]
    middleware = DirectRoutes(framework, [route])  # type: ignore[list-item]
    client = TestClient(middleware)  # no lifespan: the framework stand-in answers HTTP only
    assert client.post("/v2/models/demo/infer").text == "direct demo /v2/models/{name}/infer"
    assert client.get("/v2/models/demo/infer").text == "framework"
    assert client.post("/v2/models/demo/infer/").text == "framework"
    assert client.post("/v2/models/demo/ready").text == "framework"
    assert passed_on == [
        "GET /v2/models/demo/infer",
        "POST /v2/models/demo/infer/",
        "POST /v2/models/demo/ready",
    ]
    # Behind a root path (a proxy's prefix), matched on the path under it, as the router does.
    mounted = TestClient(middleware, root_path="/api")
    assert mounted.post("/api/v2/models/demo/infer").text == "direct demo /v2/models/{name}/infer"
    assert mounted.post("/apiv2/models/demo/infer").text == "framework"


def test_direct_requests_are_counted_by_route_template() -> None:
    container = trained_container()
    with serve(container) as client:
        assert client.post("/v2/models/demo/infer", json=V2_BODY, headers=AUTH).status_code == 200
        other = client.post("/v2/models/other/infer", json=V2_BODY, headers=AUTH)
        assert_problem(other, 404, "model-not-found")
        flush_metrics(container)
    sink = container.adapters.metrics()
    assert isinstance(sink, RecordingMetricsSink)
    counted = {
        (m.dimensions["route"], m.dimensions["status"]): m.value
        for batch in sink.batches
        for m in batch
        if m.name == "requests"
    }
    assert counted[("/v2/models/{name}/infer", "2xx")] == 1
    assert counted[("/v2/models/{name}/infer", "4xx")] == 1


def test_a_direct_route_must_take_the_request_and_run_no_dependencies() -> None:
    async def no_request(name: str) -> Response:
        return PlainTextResponse(name)

    table = RouteTable()
    table.post("/v2/models/{name}/infer", direct=True)(no_request)
    with pytest.raises(TypeError, match="takes the request first"):
        table.add_to(FastAPI())

    async def takes_request(request: Request) -> Response:
        return PlainTextResponse("ok")

    guarded = RouteTable(dependencies=[])
    guarded.post("/predict", direct=True, dependencies=[object()])(takes_request)
    with pytest.raises(TypeError, match="runs no FastAPI dependencies"):
        guarded.add_to(FastAPI())
