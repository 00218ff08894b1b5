"""The prediction routes, through FastAPI's router with the key as a dependency: successes and
every kind of error, the key read before the body, and requests counted by route template."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from predictor.adapters.memory import RecordingMetricsSink
from predictor.entrypoints.http.loading import flush_metrics
from tests.unit.http.conftest import AUTH, assert_problem, row, serve, trained_container

REQUEST_ID = {"X-Request-ID": "one-request-id"}
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
    ("GET", "/predict", {}),  # 405
]


Answer = tuple[int, dict[str, str], Any]


def answer(client: TestClient, method: str, path: str, options: dict[str, Any]) -> Answer:
    options = dict(options)
    headers = {**REQUEST_ID, **(AUTH if options.pop("auth", True) else {}), **options.pop("headers", {})}
    response = client.request(method, path, headers=headers, **options)
    kept = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
    body = response.json() if "json" in response.headers.get("content-type", "") else response.text
    return response.status_code, kept, body


def test_the_cases_cover_successes_and_every_error_status() -> None:
    with serve(trained_container(max_body_bytes=4096)) as client:
        statuses = sorted({answer(client, m, p, o)[0] for m, p, o in CASES})
    assert statuses == [200, 400, 401, 404, 405, 413, 415]


def test_prediction_requests_are_counted_by_route_template() -> None:
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


def test_a_wrong_key_is_refused_before_the_body_is_read() -> None:
    with serve(trained_container(max_body_bytes=4096)) as client:
        response = client.post("/predict", content=b"{not json", headers={"X-API-Key": "wrong"})
    assert_problem(response, 401, "unauthorized")
