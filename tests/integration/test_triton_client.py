"""Triton's own HTTP client, unchanged, against ``predictor serve``: health, metadata and infer
in JSON mode and in its default binary mode (binary tensor data in the request and in the
answer), gzip-compressed requests too; the key goes in ``headers=``. The numbers are /predict's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import tritonclient.http as triton
from sklearn.datasets import load_breast_cancer
from tritonclient.utils import InferenceServerException

from tests.servers import export_breast_cancer, free_port, local_env, running

pytestmark = pytest.mark.integration

API_KEY = "triton-client-key-0123456789"
ROWS = 50


def key() -> dict[str, str]:
    """The key header, a new dict per call: the client writes its compression headers into the
    dict it is given."""
    return {"X-API-Key": API_KEY}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("triton-client")
    exported = export_breast_cancer(work)
    env = local_env(work, PREDICTOR_API_KEYS=API_KEY)
    port = free_port()
    with running(["serve", "--port", str(port), "--model-dir", str(exported)], env, work, port) as (base, _):
        yield base


@pytest.fixture(scope="module")
def client(served: str) -> Iterator[Any]:
    client = triton.InferenceServerClient(served.removeprefix("http://"))
    yield client
    client.close()


@pytest.fixture(scope="module")
def expected(served: str, client: Any) -> dict[str, Any]:
    """The first rows of Breast Cancer as a float32 matrix in the model's input order, and what
    /predict answers for them."""
    names = [tensor["name"] for tensor in client.get_model_metadata("demo", headers=key())["inputs"]]
    frame = load_breast_cancer(as_frame=True).data.head(ROWS)[names]
    matrix = frame.to_numpy(dtype=np.float32)
    instances = [dict(zip(names, map(float, row), strict=True)) for row in matrix]
    answer = httpx.post(f"{served}/predict", json={"instances": instances}, headers=key(), timeout=30)
    assert answer.status_code == 200, answer.text
    predictions = answer.json()["predictions"]
    labels = list(predictions[0]["probabilities"])
    return {
        "matrix": matrix,
        "labels": [p["label"] for p in predictions],
        "probabilities": [[p["probabilities"][label] for label in labels] for p in predictions],
    }


def text(label: str | bytes) -> str:
    """A BYTES element as the client gives it: str from JSON data, bytes from binary data."""
    return label if isinstance(label, str) else label.decode()


def matrix_input(matrix: np.ndarray[Any, Any], binary: bool) -> Any:
    tensor = triton.InferInput("input-0", list(matrix.shape), "FP32")
    tensor.set_data_from_numpy(matrix, binary_data=binary)
    return tensor


def test_health_and_metadata_name_the_model_and_the_binary_extension(client: Any) -> None:
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.is_model_ready("demo")
    assert "binary_tensor_data" in client.get_server_metadata(headers=key())["extensions"]
    metadata = client.get_model_metadata("demo", headers=key())
    assert (metadata["name"], len(metadata["inputs"])) == ("demo", 30)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_infer_gives_predicts_numbers_in_json_and_binary_mode(
    client: Any, expected: dict[str, Any], binary: bool
) -> None:
    outputs = [triton.InferRequestedOutput(name, binary_data=binary) for name in ("label", "probabilities")]
    result = client.infer("demo", [matrix_input(expected["matrix"], binary)], outputs=outputs, headers=key())

    assert [text(label) for label in result.as_numpy("label").tolist()] == expected["labels"]
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (ROWS, 2)
    assert np.max(np.abs(probabilities - np.asarray(expected["probabilities"]))) == 0
    sent_as_binary = "binary_data_size" in result.get_output("probabilities").get("parameters", {})
    assert sent_as_binary is binary


def test_the_clients_defaults_binary_everywhere_and_gzip_give_the_same_answer(
    client: Any, expected: dict[str, Any]
) -> None:
    tensor = triton.InferInput("input-0", [ROWS, 30], "FP32")
    tensor.set_data_from_numpy(expected["matrix"])  # binary_data=True, and no outputs named
    result = client.infer("demo", [tensor], headers=key(), request_compression_algorithm="gzip")
    assert np.array_equal(result.as_numpy("probabilities"), np.asarray(expected["probabilities"]))
    assert "binary_data_size" in result.get_output("label")["parameters"]


def test_a_bad_request_raises_the_clients_error_with_predictors_message(
    client: Any, expected: dict[str, Any]
) -> None:
    wide = np.zeros((2, 31), dtype=np.float32)
    with pytest.raises(InferenceServerException, match=r"shape \[rows, 30\]"):
        client.infer("demo", [matrix_input(wide, True)], headers=key())
    with pytest.raises(InferenceServerException, match="401"):
        client.infer("demo", [matrix_input(expected["matrix"], True)])
