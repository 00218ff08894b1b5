"""A big body is read and encoded in a decoder process, and answered exactly as the same body
read in process: every route, valid and invalid bodies alike. The same JSON (or CSV) document
is sent as it is (inline, under ``INLINE_BODY_BYTES``) and padded with whitespace past
``PROCESS_BODY_BYTES`` (a decoder process), and the two answers compared byte for byte."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from predictor.services.serving.core import INLINE_BODY_BYTES, PROCESS_BODY_BYTES
from predictor.services.serving.offload import BodyDecoder
from tests.unit.http.conftest import JSON_AUTH, assert_problem, row, serve, trained_container
from tests.unit.http.test_reload_routes import ADMIN, keyed
from tests.unit.variants import register_variant, registry_of, renamed

MAX_ROWS = 5
INFER = "/v2/models/demo/infer"
CSV_AUTH = {**JSON_AUTH, "Content-Type": "text/csv"}


def tensors(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    n = len(rows)
    return [
        {"name": "x1", "shape": [n], "datatype": "FP32", "data": [r["x1"] for r in rows]},
        {"name": "x2", "shape": [n], "datatype": "FP64", "data": [r["x2"] for r in rows]},
        {"name": "colour", "shape": [n], "datatype": "BYTES", "data": [r["colour"] for r in rows]},
    ]


ROWS = [row(), row(x1=-3.0, x2=None), row(x1=-0.2, colour="blue"), row(colour="never seen")]
TOO_MANY = [row()] * (MAX_ROWS + 1)
LONE_SURROGATE_KEY = '{"instances": [{"\\ud800": 1.0}]}'
LONE_SURROGATE_VALUE = '{"instances": [{"x1": 1.0, "x2": 2.0, "colour": "\\udfff"}]}'
DUPLICATE_KEY = '{"instances": [{"x1": 1.0, "x1": 2.0, "x2": 3.0, "colour": "red"}]}'

# NaN, a key that is no feature, a missing key, a number as a string, a param that is not ours.
LENIENT = json.dumps(
    {
        "dataframe_records": [{**row(x1=float("nan")), "extra": 1}, {"x1": "2", "colour": "red"}],
        "params": {"k": 1},
    }
)

# (path, headers, body): each sent inline and padded past PROCESS_BODY_BYTES.
CASES: dict[str, tuple[str, dict[str, str], str]] = {
    "predict valid": ("/predict", JSON_AUTH, json.dumps({"instances": ROWS})),
    "predict options": (
        "/predict",
        JSON_AUTH,
        json.dumps({"instances": ROWS, "parameters": {"output": "label", "threshold": 0.3}}),
    ),
    "predict lone surrogate key": ("/predict", JSON_AUTH, LONE_SURROGATE_KEY),
    "predict lone surrogate value": ("/predict", JSON_AUTH, LONE_SURROGATE_VALUE),
    "predict duplicate key": ("/predict", JSON_AUTH, DUPLICATE_KEY),
    "predict wrong types": (
        "/predict",
        JSON_AUTH,
        json.dumps({"instances": [row(x1="one"), row(x2=True), row(colour=3), "a row"]}),
    ),
    "predict missing and unknown features": (
        "/predict",
        JSON_AUTH,
        json.dumps({"instances": [{"x1": 1.0, "shade": "red"}]}),
    ),
    "predict too many rows": ("/predict", JSON_AUTH, json.dumps({"instances": TOO_MANY})),
    "predict bad options and bad rows": (
        "/predict",
        JSON_AUTH,
        json.dumps({"instances": [row(x1="one")], "parameters": {"threshold": 2}}),
    ),
    "predict empty": ("/predict", JSON_AUTH, json.dumps({"instances": []})),
    "predict not an object": ("/predict", JSON_AUTH, "[1, 2]"),
    "predict not JSON": ("/predict", JSON_AUTH, '{"instances": [NaN'),
    "explain valid": ("/v1/explain", JSON_AUTH, json.dumps({"instances": ROWS})),
    "explain wrong types": ("/v1/explain", JSON_AUTH, json.dumps({"instances": [row(x1=[1])]})),
    "invocations split": (
        "/invocations",
        JSON_AUTH,
        json.dumps(
            {
                "dataframe_split": {
                    "columns": ["colour", "x1", "x2"],
                    "data": [[r["colour"], r["x1"], r["x2"]] for r in ROWS],
                },
                "params": {"output": "probabilities"},
            }
        ),
    ),
    "invocations records bad": (
        "/invocations",
        JSON_AUTH,
        json.dumps({"dataframe_records": [row(x2="two")], "params": {"output": "shape"}}),
    ),
    "invocations too many rows": ("/invocations", JSON_AUTH, json.dumps({"instances": TOO_MANY})),
    "invocations csv": ("/invocations", CSV_AUTH, "x1,x2,colour\n1.5,,red\n-2,0.5,blue\n"),
    "invocations csv bad": ("/invocations", CSV_AUTH, "x1,x2,colour\none,,red\n"),
    "invocations lenient": ("/invocations", JSON_AUTH, LENIENT),
    "invocations lenient csv": ("/invocations", CSV_AUTH, ",x1,x2,colour,extra\n0,1.5,,red,x\n"),
    "v2 valid": (INFER, JSON_AUTH, json.dumps({"id": "mine", "inputs": tensors(ROWS)})),
    "v2 lone surrogate id": (INFER, JSON_AUTH, '{"id": "\\ud800", "inputs": []}'),
    "v2 wrong datatype": (
        INFER,
        JSON_AUTH,
        json.dumps({"inputs": [{**tensors(ROWS)[0], "datatype": {}}, *tensors(ROWS)[1:]]}),
    ),
    "v2 out of range": (
        INFER,
        JSON_AUTH,
        json.dumps({"inputs": [{**tensors(ROWS)[0], "datatype": "INT8", "data": [1000] * 4}]}),
    ),
    "v2 too many rows": (INFER, JSON_AUTH, json.dumps({"inputs": tensors(TOO_MANY)})),
}


def padded(body: str, headers: dict[str, str]) -> str:
    # Blank lines end a CSV body harmlessly (they are skipped); spaces a JSON one.
    filler = "\n" if headers["Content-Type"] == "text/csv" else " "
    return body + filler * (PROCESS_BODY_BYTES + 1)


def decoder_of(client: TestClient) -> BodyDecoder:
    decoder: BodyDecoder = client.app.state.container.body_decoder()  # type: ignore[attr-defined]
    return decoder


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with serve(trained_container(max_rows=MAX_ROWS)) as client:
        yield client


@pytest.mark.parametrize("case", list(CASES))
def test_a_padded_body_read_in_a_decoder_process_is_answered_byte_for_byte_as_inline(
    client: TestClient, case: str
) -> None:
    path, headers, body = CASES[case]
    fixed = {**headers, "X-Request-ID": "same-request"}

    inline = client.post(path, content=body.encode("utf-8", "surrogatepass"), headers=fixed)
    offloaded = client.post(
        path, content=padded(body, headers).encode("utf-8", "surrogatepass"), headers=fixed
    )

    assert decoder_of(client).pids, "the padded body was read in a decoder process"
    assert len(body) <= INLINE_BODY_BYTES
    assert (offloaded.status_code, offloaded.headers["content-type"]) == (
        inline.status_code,
        inline.headers["content-type"],
    )
    assert offloaded.content == inline.content
    assert offloaded.headers.get("X-Model-Version") == inline.headers.get("X-Model-Version")


def test_the_cases_cover_valid_and_invalid_bodies_on_every_route(client: TestClient) -> None:
    statuses = {
        case: client.post(path, content=body.encode("utf-8", "surrogatepass"), headers=headers).status_code
        for case, (path, headers, body) in CASES.items()
    }
    assert {path for path, _, _ in CASES.values()} == {"/predict", "/v1/explain", "/invocations", INFER}
    assert set(statuses.values()) == {200, 400, 413}


def test_the_leniencies_of_a_body_read_in_a_decoder_process_are_counted() -> None:
    with serve(trained_container(max_rows=MAX_ROWS)) as client:
        response = client.post("/invocations", content=padded(LENIENT, JSON_AUTH).encode(), headers=JSON_AUTH)
        assert response.status_code == 200, response.text
        assert decoder_of(client).pids, "the padded body was read in a decoder process"
        metrics = client.app.state.container.request_metrics().drain()  # type: ignore[attr-defined]
    counted = {m.dimensions["reason"]: m.value for m in metrics if m.name == "lenient_readings"}
    assert counted == dict.fromkeys(
        ["extra_column", "missing_key", "nan", "numbers_as_strings", "unknown_params"], 1.0
    )


def test_a_decoder_process_that_is_killed_is_replaced_and_the_next_body_is_answered() -> None:
    body = padded(json.dumps({"instances": ROWS}), JSON_AUTH)
    with serve(trained_container()) as client:
        first = client.post("/predict", content=body, headers=JSON_AUTH)
        (killed,) = decoder_of(client).pids
        os.kill(killed, signal.SIGKILL)
        second = client.post("/predict", content=body, headers=JSON_AUTH)
        (replacement,) = decoder_of(client).pids

    assert first.status_code == second.status_code == 200
    assert second.json()["predictions"] == first.json()["predictions"]
    assert replacement != killed


def test_a_reload_switches_the_decoder_process_to_the_new_versions_encoder(tmp_path: Path) -> None:
    container = keyed(trained_container(reload_interval_s=0, allow_breaking_changes=True))
    old_rows = json.dumps({"instances": ROWS})
    new_rows = json.dumps({"instances": [{"z1" if k == "x1" else k: v for k, v in r.items()} for r in ROWS]})
    fixed = {**JSON_AUTH, "X-Request-ID": "same-request"}
    with serve(container) as client:
        before = client.post("/predict", content=padded(old_rows, fixed), headers=fixed)
        version = register_variant(container, tmp_path, renamed("x1", "z1"))
        registry_of(container).set_alias("demo", "production", version)
        assert client.post("/v1/models/reload", headers=ADMIN).json()["outcome"] == "swapped"
        answers = {
            (name, way): client.post("/predict", content=text, headers=fixed)
            for name, body in (("old rows", old_rows), ("new rows", new_rows))
            for way, text in (("inline", body), ("offloaded", padded(body, fixed)))
        }
        processes = decoder_of(client).pids

    assert (before.status_code, before.headers["X-Model-Version"]) == (200, "1")
    assert len(processes) == 1, "the same decoder process read the bodies before and after the reload"
    assert_problem(answers["old rows", "offloaded"], 400, "invalid-input")
    assert answers["old rows", "offloaded"].content == answers["old rows", "inline"].content
    assert answers["new rows", "offloaded"].status_code == 200
    assert answers["new rows", "offloaded"].headers["X-Model-Version"] == version
    assert answers["new rows", "offloaded"].content == answers["new rows", "inline"].content


def test_with_no_decoder_processes_a_big_body_is_read_in_process_with_the_same_answer() -> None:
    body = json.dumps({"instances": ROWS})
    fixed = {**JSON_AUTH, "X-Request-ID": "same-request"}
    with serve(trained_container(decoder_processes=0)) as client:
        inline = client.post("/predict", content=body, headers=fixed)
        big = client.post("/predict", content=padded(body, fixed), headers=fixed)
        processes = decoder_of(client).pids

    assert processes == ()
    assert big.content == inline.content
