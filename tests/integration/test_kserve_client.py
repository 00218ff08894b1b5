"""KServe's own Python client, unchanged, against a real `predictor serve` on loopback.

``kserve.InferenceRESTClient`` (kserve 0.21.0, V2 protocol) runs in an environment of its own
(tests/peers.py: kserve pins pandas 2 and protobuf 6) as a subprocess script that prints what
it got as JSON. It checks liveness, readiness, a model's readiness (another name is not ready)
and infers with tensors built the kserve way (``InferInput.set_data_from_numpy``, then
``InferRequest``): one FP32 matrix, one tensor per feature asking for ``probabilities`` only,
both as JSON (``binary_data=False``), and the matrix as binary tensor data (the client's
default) asking for binary ``probabilities``; the probabilities are /predict's for the same
rows. The client has no metadata call.

The key: every call of the client takes ``headers=`` (the matrix call sends ``X-API-Key`` so);
``RESTConfig(auth=...)`` takes an ``httpx.Auth`` that adds it to every request (the per-feature
call). Without a key the client raises ``httpx.HTTPStatusError`` with our 401; its message
carries a V2 ``error`` only for ``application/json`` bodies, so with our problem+json the reason
is read from ``exc.response.json()["error"]``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sklearn.datasets import load_breast_cancer

from tests.peers import kserve_python
from tests.servers import export_breast_cancer, free_port, local_env, running

pytestmark = pytest.mark.integration

API_KEY = "kserve-client-key-0123456789"
ROWS = 12
CLIENT = """
import asyncio, json, sys

import httpx
import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput


class ApiKey(httpx.Auth):
    def __init__(self, key):
        self.key = key

    def auth_flow(self, request):
        request.headers["X-API-Key"] = self.key
        yield request


def tensor(name, values, binary=False):
    array = np.asarray(values, dtype=np.float32)
    built = InferInput(name, list(array.shape), "FP32")
    built.set_data_from_numpy(array, binary_data=binary)
    return built


def answer(response):
    outputs = {o.name: {"datatype": o.datatype, "shape": list(o.shape), "data": o.as_numpy().tolist()}
               for o in response.outputs}
    return {"model_name": response.model_name, "id": response.id, "outputs": outputs}


async def main(url, key, name, features, rows):
    seen = {}
    matrix = InferRequest(name, [tensor("input-0", rows)], request_id="kserve-matrix")
    async with InferenceRESTClient(RESTConfig(protocol="v2")) as client:
        seen["server_live"] = await client.is_server_live(url)
        seen["server_ready"] = await client.is_server_ready(url)
        seen["model_ready"] = await client.is_model_ready(url, name)
        seen["other_model_ready"] = await client.is_model_ready(url, "another")
        seen["matrix"] = answer(await client.infer(url, matrix, model_name=name, headers={"X-API-Key": key}))
        try:
            await client.infer(url, matrix, model_name=name)
        except httpx.HTTPStatusError as exc:
            seen["without_key"] = {"status": exc.response.status_code, "error": exc.response.json()["error"]}
    columns = [tensor(feature, [row[i] for row in rows]) for i, feature in enumerate(features)]
    per_feature = InferRequest(name, columns, request_outputs=[RequestedOutput("probabilities")])
    binary = InferRequest(
        name,
        [tensor("input-0", rows, binary=True)],
        request_outputs=[RequestedOutput("probabilities", parameters={"binary_data": True})],
    )
    async with InferenceRESTClient(RESTConfig(protocol="v2", auth=ApiKey(key))) as client:
        seen["per_feature"] = answer(await client.infer(url, per_feature, model_name=name))
        headers = {}
        seen["binary"] = answer(await client.infer(url, binary, model_name=name, response_headers=headers))
        seen["binary"]["content_type"] = headers["content-type"]
    return seen


given = json.load(sys.stdin)
print(json.dumps(asyncio.run(main(**given))))
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("kserve-client")
    exported = export_breast_cancer(work, seed=5)
    env = local_env(work, PREDICTOR_API_KEYS=API_KEY)
    port = free_port()
    with running(["serve", "--model-dir", str(exported), "--port", str(port)], env, work, port) as (url, _):
        yield url


@pytest.fixture(scope="module")
def rows() -> tuple[list[str], list[list[float]]]:
    data = load_breast_cancer()
    return [str(name) for name in data.feature_names], [list(map(float, r)) for r in data.data[:ROWS]]


@pytest.fixture(scope="module")
def seen(served: str, rows: tuple[list[str], list[list[float]]]) -> dict[str, Any]:
    features, values = rows
    given = {"url": served, "key": API_KEY, "name": "demo", "features": features, "rows": values}
    done = subprocess.run(
        [str(kserve_python()), "-c", CLIENT],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def predicted(url: str, rows: tuple[list[str], list[list[float]]]) -> list[list[float]]:
    features, values = rows
    instances = [dict(zip(features, r, strict=True)) for r in values]
    response = httpx.post(f"{url}/predict", json={"instances": instances}, headers={"X-API-Key": API_KEY})
    assert response.status_code == 200, response.text
    return [list(p["probabilities"].values()) for p in response.json()["predictions"]]


def test_the_kserve_client_finds_the_server_and_the_model_ready(seen: dict[str, Any]) -> None:
    assert (seen["server_live"], seen["server_ready"], seen["model_ready"]) == (True, True, True)
    assert seen["other_model_ready"] is False


def test_the_kserve_client_infers_predicts_probabilities(
    seen: dict[str, Any], served: str, rows: tuple[list[str], list[list[float]]]
) -> None:
    expected = predicted(served, rows)
    matrix = seen["matrix"]

    assert (matrix["model_name"], matrix["id"]) == ("demo", "kserve-matrix")
    assert matrix["outputs"]["probabilities"]["shape"] == [ROWS, 2]
    assert matrix["outputs"]["probabilities"]["data"] == expected
    assert len(matrix["outputs"]["label"]["data"]) == ROWS
    assert set(seen["per_feature"]["outputs"]) == {"probabilities"}
    assert seen["per_feature"]["outputs"]["probabilities"]["data"] == expected


def test_the_kserve_client_infers_with_binary_tensors(
    seen: dict[str, Any], served: str, rows: tuple[list[str], list[list[float]]]
) -> None:
    binary = seen["binary"]

    assert binary["content_type"] == "application/octet-stream"
    assert set(binary["outputs"]) == {"probabilities"}
    assert binary["outputs"]["probabilities"]["datatype"] == "FP64"
    assert binary["outputs"]["probabilities"]["data"] == predicted(served, rows)


def test_the_kserve_client_without_a_key_gets_401_with_the_reason(seen: dict[str, Any]) -> None:
    assert seen["without_key"]["status"] == 401
    assert "key" in seen["without_key"]["error"].lower()
