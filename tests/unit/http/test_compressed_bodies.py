"""Compressed request bodies (``Content-Encoding: gzip`` or ``deflate``), as MLServer takes them:
decompressed as they arrive, with the body limit on the decompressed bytes, so a small bomb gets
413 early; a body that is not what its coding says is 400; other codings 415."""

from __future__ import annotations

import gzip
import json
import zlib

import httpx2
import pytest
from fastapi.testclient import TestClient

from tests.unit.http.conftest import AUTH, assert_problem, row, serve, trained_container

LIMIT = 64 * 1024
BODY = json.dumps({"instances": [row(), row(x1=-3.0)]}).encode()


def post(client: TestClient, body: bytes, coding: str, path: str = "/predict") -> httpx2.Response:
    headers = {**AUTH, "Content-Type": "application/json", "Content-Encoding": coding}
    return client.post(path, content=body, headers=headers)


@pytest.mark.parametrize(
    ("coding", "compress"), [("gzip", gzip.compress), ("deflate", zlib.compress), ("x-gzip", gzip.compress)]
)
def test_a_compressed_body_predicts_as_the_plain_one(
    client: TestClient, coding: str, compress: object
) -> None:
    assert callable(compress)
    compressed = post(client, compress(BODY), coding)
    plain = client.post("/predict", content=BODY, headers={**AUTH, "Content-Type": "application/json"})
    assert compressed.status_code == 200, compressed.text
    assert compressed.json()["predictions"] == plain.json()["predictions"]


@pytest.mark.parametrize("path", ["/invocations", "/v2/models/demo/infer"])
def test_every_prediction_route_takes_gzip(client: TestClient, path: str) -> None:
    body = {
        "/invocations": {"dataframe_records": [row()]},
        "/v2/models/demo/infer": {
            "inputs": [
                {
                    "name": name,
                    "shape": [1],
                    "datatype": "BYTES" if isinstance(v, str) else "FP32",
                    "data": [v],
                }
                for name, v in row().items()
            ]
        },
    }[path]
    response = post(client, gzip.compress(json.dumps(body).encode()), "gzip", path)
    assert response.status_code == 200, response.text


def test_a_decompression_bomb_is_a_413_on_its_decompressed_size() -> None:
    bomb = gzip.compress(b" " * (LIMIT * 100))  # 6.4 MB of spaces in a few kilobytes
    assert len(bomb) < LIMIT // 4
    with serve(trained_container(max_body_bytes=LIMIT)) as client:
        problem = assert_problem(post(client, bomb, "gzip"), 413, "payload-too-large")
    assert f"decompressed request body is larger than the limit of {LIMIT} bytes" in problem["detail"]


def test_a_body_under_the_limit_compressed_and_over_it_decompressed_is_a_413() -> None:
    rows = json.dumps({"instances": [row()] * 2000}).encode()
    assert len(rows) > LIMIT > len(gzip.compress(rows))
    with serve(trained_container(max_body_bytes=LIMIT)) as client:
        assert_problem(post(client, gzip.compress(rows), "gzip"), 413, "payload-too-large")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"this is not gzip", "not gzip"),
        (gzip.compress(BODY)[:-12], "cut short"),
        (gzip.compress(BODY) + b"trailing", "data after the end"),
    ],
)
def test_a_body_that_is_not_valid_gzip_is_a_400_naming_the_coding(
    client: TestClient, body: bytes, why: str
) -> None:
    problem = assert_problem(post(client, body, "gzip"), 400, "invalid-input")
    assert "the request body is not valid gzip data" in problem["detail"], why


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, gzip"])
def test_other_codings_are_415_naming_them_and_what_is_accepted(client: TestClient, coding: str) -> None:
    response = post(client, gzip.compress(BODY), coding)
    problem = assert_problem(response, 415, "unsupported-media-type")
    assert repr(coding) in problem["detail"]
    assert response.headers["Accept-Encoding"] == "gzip, deflate, identity"
