"""The Open Inference Protocol's binary tensor data extension: inputs as raw little-endian bytes
after a JSON header of Inference-Header-Content-Length bytes, outputs answered the same way when
asked for; the same numbers as JSON tensors and /predict; malformed binary data is a 400 naming
the field."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from predictor.services.serving.core import PROCESS_BODY_BYTES
from predictor.services.serving.offload import BodyDecoder
from tests.unit.http.conftest import AUTH, assert_problem, serve, trained_container
from tests.unit.http.test_v2 import INFER, ROWS, feature_tensors, infer, matrix_tensor, outputs

HEADER = "Inference-Header-Content-Length"
CODES = {"blue": 0, "green": 1, "red": 2}


def strings(values: list[str]) -> bytes:
    return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in values)


def binary_body(document: dict[str, Any], raw: dict[str, bytes]) -> tuple[bytes, dict[str, str]]:
    """``document``'s inputs named in ``raw`` sent as binary data after the JSON header."""
    for tensor in document["inputs"]:
        if tensor["name"] in raw:
            tensor.pop("data", None)
            tensor["parameters"] = {"binary_data_size": len(raw[tensor["name"]])}
    header = json.dumps(document).encode()
    tail = b"".join(raw[t["name"]] for t in document["inputs"] if t["name"] in raw)
    headers = {**AUTH, HEADER: str(len(header)), "Content-Type": "application/octet-stream"}
    return header + tail, headers


def read_binary_answer(response: Any) -> dict[str, Any]:
    """The answer's outputs by name, binary ones decoded from the bytes after the JSON header."""
    assert response.status_code == 200, response.text
    cut = int(response.headers[HEADER])
    answer = json.loads(response.content[:cut])
    data, found = response.content[cut:], {}
    for output in answer["outputs"]:
        size = output.get("parameters", {}).get("binary_data_size")
        if size is None:
            found[output["name"]] = output["data"]
            continue
        raw, data = data[:size], data[size:]
        if output["datatype"] == "BYTES":
            values, offset = [], 0
            while offset < len(raw):
                (length,) = struct.unpack_from("<I", raw, offset)
                values.append(raw[offset + 4 : offset + 4 + length].decode())
                offset += 4 + length
            found[output["name"]] = values
        else:
            found[output["name"]] = np.frombuffer(raw, dtype="<f8").tolist()
    assert data == b"", "every byte after the header belongs to an output"
    return found


def matrix_bytes(rows: list[dict[str, Any]] = ROWS) -> bytes:
    grid = [[r["x1"], math.nan if r["x2"] is None else r["x2"], CODES[r["colour"]]] for r in rows]
    return np.asarray(grid, dtype="<f4").tobytes()


def json_answer(client: TestClient) -> dict[str, Any]:
    return {name: o["data"] for name, o in outputs(infer(client, {"inputs": matrix_tensor()})).items()}


def test_a_binary_matrix_gives_the_json_matrixs_answer_and_nan_is_missing(client: TestClient) -> None:
    body, headers = binary_body({"inputs": matrix_tensor()}, {"input-0": matrix_bytes()})
    response = client.post(INFER, content=body, headers=headers)
    assert HEADER not in response.headers  # no output asked for as binary: a JSON answer
    assert {name: o["data"] for name, o in outputs(response).items()} == json_answer(client)


def test_binary_data_output_answers_every_output_as_binary(client: TestClient) -> None:
    document = {"inputs": matrix_tensor(), "parameters": {"binary_data_output": True}}
    body, headers = binary_body(document, {"input-0": matrix_bytes()})
    response = client.post(INFER, content=body, headers=headers)
    assert response.headers["content-type"] == "application/octet-stream"
    assert read_binary_answer(response) == json_answer(client)


def test_tensors_per_feature_mix_binary_and_json_inputs_and_outputs(client: TestClient) -> None:
    document = {
        "inputs": feature_tensors(),
        "outputs": [{"name": "label", "parameters": {"binary_data": True}}, {"name": "probabilities"}],
    }
    x2 = [math.nan if r["x2"] is None else r["x2"] for r in ROWS]
    raw = {"x2": np.asarray(x2, dtype="<f8").tobytes(), "colour": strings([r["colour"] for r in ROWS])}
    body, headers = binary_body(document, raw)
    answer = read_binary_answer(client.post(INFER, content=body, headers=headers))
    assert answer == json_answer(client)


def test_a_big_binary_body_is_read_in_process_as_it_needs_no_parsing() -> None:
    rows = ROWS * (PROCESS_BODY_BYTES // 36 + 1)
    with serve(trained_container(max_rows=len(rows))) as client:
        document = {"inputs": matrix_tensor(rows), "parameters": {"binary_data_output": True}}
        body, headers = binary_body(document, {"input-0": matrix_bytes(rows)})
        assert len(body) > PROCESS_BODY_BYTES
        answer = read_binary_answer(client.post(INFER, content=body, headers=headers))
        decoder: BodyDecoder = client.app.state.container.body_decoder()  # type: ignore[attr-defined]
        assert decoder.pids == (), "no decoder process was started for raw tensor data"
        assert answer["probabilities"][:6] == json_answer(client)["probabilities"]
        as_json = infer(client, {"inputs": matrix_tensor(rows)})
        assert outputs(as_json)["probabilities"]["data"] == answer["probabilities"]
        assert decoder.pids, "the same rows as JSON were parsed in a decoder process"


def test_binary_values_no_float32_holds_are_400s_naming_row_and_feature(client: TestClient) -> None:
    grid = np.asarray([[0.5, 1.0, 2], [np.inf, 1e39, 1], [1.0, np.nan, 5]], dtype="<f8")
    tensor = {"name": "input-0", "shape": [3, 3], "datatype": "FP64"}
    body, headers = binary_body({"inputs": [tensor]}, {"input-0": grid.tobytes()})
    problem = assert_problem(client.post(INFER, content=body, headers=headers), 400, "invalid-input")
    assert [(e["row"], e["field"]) for e in problem["errors"]] == [(1, "x1"), (1, "x2"), (2, "colour")]
    assert "too large for a 32-bit float" in problem["errors"][1]["message"]


def test_the_server_metadata_names_the_extension(client: TestClient) -> None:
    assert client.get("/v2", headers=AUTH).json()["extensions"] == ["binary_tensor_data"]


def tensor(name: str, datatype: str, shape: list[int], size: int) -> dict[str, Any]:
    return {"name": name, "datatype": datatype, "shape": shape, "parameters": {"binary_data_size": size}}


MATRIX = tensor("input-0", "FP32", [3, 3], 36)


SIZE = "input-0.parameters.binary_data_size"
BAD = [
    pytest.param("abc", [MATRIX], matrix_bytes(), None, "must be the JSON header's length", id="header-nan"),
    pytest.param("99999", [MATRIX], matrix_bytes(), None, "from 1 to the body's", id="header-too-long"),
    pytest.param(None, [MATRIX], matrix_bytes() + b"\0", None, "add up to 36", id="bytes-left-over"),
    pytest.param(
        None, [tensor("input-0", "FP32", [3, 3], 40)], matrix_bytes(), SIZE, "36 are left", id="short"
    ),
    pytest.param(None, [tensor("input-0", "FP32", [3, 3], 32)], bytes(32), SIZE, "take 36", id="wrong-size"),
    pytest.param(
        None, [{**MATRIX, "data": [1]}], matrix_bytes(), "input-0.data", "has both", id="data-twice"
    ),
    pytest.param(
        None,
        [tensor("input-0", "FP32", [3], -1)],
        b"",
        "inputs[0].parameters.binary_data_size",
        "non-negative integer",
        id="negative-size",
    ),
    pytest.param(None, [tensor("input-0", "FP8", [3], 3)], bytes(3), "input-0.datatype", "one of", id="FP8"),
    pytest.param(
        None,
        [tensor("colour", "BYTES", [1], 6)],
        struct.pack("<I", 9) + b"ab",
        "colour.data",
        "the data ends first",
        id="short-element",
    ),
    pytest.param(
        None, [tensor("colour", "BYTES", [1], 2)], b"\1\0", "colour.data", "ends inside", id="short-length"
    ),
    pytest.param(
        None,
        [tensor("colour", "BYTES", [1], 5)],
        struct.pack("<I", 1) + b"\xff",
        "colour.data",
        "not UTF-8",
        id="not-utf8",
    ),
    pytest.param(
        None, [tensor("colour", "BYTES", [2], 5)], strings(["r"]), "colour.data", "holds 1", id="elements"
    ),
]


@pytest.mark.parametrize(("header", "inputs", "tail", "field", "says"), BAD)
def test_malformed_binary_data_is_a_400_naming_the_field(
    client: TestClient, header: str | None, inputs: list[Any], tail: bytes, field: str | None, says: str
) -> None:
    head = json.dumps({"inputs": inputs}).encode()
    headers = {**AUTH, HEADER: header or str(len(head))}
    problem = assert_problem(client.post(INFER, content=head + tail, headers=headers), 400, "invalid-input")
    assert problem["errors"][0]["field"] == field
    assert says in problem["detail"]
    assert problem["error"] == problem["detail"]
