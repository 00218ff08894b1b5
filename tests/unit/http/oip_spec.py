"""The Open Inference Protocol's REST specification as the tests run it: MLServer's published
document (tests/peers.py) with its amendments (``amended``), and with our deliberate departures
written in (``with_departures``); both listed in test_oip_specification.py's docstring and in
docs/api.md ("Checked against the protocol's specification")."""

from __future__ import annotations

import copy
from typing import Any

from dependency_injector import providers

from predictor.adapters.memory import StaticSecretStore
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.config import API_KEYS_SECRET
from predictor.container import Container
from predictor.domain.schema import TaskType
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import API_KEY, PROBLEM_JSON, row

JSON = "application/json"
NOT_SERVED = ("/infer_stream", "/generate", "/generate_stream")
ROW = row()
EXAMPLE = {
    "inputs": [
        {"name": "x1", "shape": [1], "datatype": "FP32", "data": [ROW["x1"]]},
        {"name": "x2", "shape": [1], "datatype": "FP32", "data": [ROW["x2"]]},
        {"name": "colour", "shape": [1], "datatype": "BYTES", "data": [ROW["colour"]]},
    ]
}
# Where we answer otherwise than the spec says, on purpose: ``with_departures`` writes each into
# the spec, so every check still runs on everything else.
MODEL_READY = "}/ready"
READY_ROUTES = ("/v2/health/ready", MODEL_READY)  # the server's and a model's readiness
NULL_IS_ABSENT = ("id", "parameters", "outputs")
ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}


def served_container(task: TaskType = TaskType.BINARY) -> tuple[Container, str]:
    container = memory_container(task, auth_failure_burst=0)
    keys = StaticSecretStore({API_KEYS_SECRET: [API_KEY]})
    container.adapters.secrets.override(providers.Object(keys))
    container.adapters.runtime.override(providers.Object(XGBoostRuntime()))
    container.adapters.trainer.override(providers.Object(XGBoostTrainer(nthread=1)))
    return container, train_demo(container)


def amended(spec: dict[str, Any]) -> dict[str, Any]:
    """Only the protocol's core operations; ``TensorData``'s ``{"type": "bytes"}`` (no JSON Schema
    type) as the array JSON sends; the served model's one-row request as the infer example."""
    spec = copy.deepcopy(spec)
    spec["paths"] = {p: item for p, item in spec["paths"].items() if not p.endswith(NOT_SERVED)}
    spec["components"]["schemas"]["TensorData"] = {"title": "TensorData", "type": "array"}
    for path, item in spec["paths"].items():
        if path.endswith("/infer"):
            item["post"]["requestBody"]["content"]["application/json"]["example"] = EXAMPLE
    return spec


def with_departures(spec: dict[str, Any]) -> dict[str, Any]:
    """1. Errors are RFC 9457 problems (``application/problem+json``), the spec's ``error`` member
    included, where it says ``application/json``. 2. "Not ready" is 503, and a model's readiness
    is 404 for a model not served (the spec lists 200 only; its text says 4xx for "not ready",
    and clients test for 200). 3. ``null`` for an infer request's optional
    ``id``, ``parameters`` and ``outputs`` reads as the member left out. 4. Parameters this
    service does not read (MLServer's ``content_type`` and ``headers`` among them) are ignored,
    whatever their value. 5. Server and model metadata and infer need the API key: 401 without
    it, 429 past the failed-key brake (the spec declares no security)."""
    spec = copy.deepcopy(spec)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            for status, description in _statuses_added(path).items():
                responses[status] = {"description": description, "content": {JSON: {"schema": ERROR}}}
            for status, response in responses.items():
                if status != "200" and JSON in response.get("content", {}):
                    response["content"] = {PROBLEM_JSON: response["content"][JSON]}
    spec["components"]["schemas"]["Parameters"] = {"type": "object"}
    request = spec["components"]["schemas"]["InferenceRequest"]["properties"]
    for name in NULL_IS_ABSENT:
        request[name] = {"anyOf": [request[name], {"type": "null"}]}
    return spec


def _statuses_added(path: str) -> dict[str, str]:
    if path.endswith(MODEL_READY):
        return {"503": "Not ready", "404": "Not served"}
    if path.endswith(READY_ROUTES):
        return {"503": "Not ready"}
    if "/health/" in path:
        return {}
    return {"401": "No valid key", "429": "Too many failed keys"}
