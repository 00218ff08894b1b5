"""Schemathesis against the app with the Open Inference Protocol's own REST specification.

The document is the dataplane OpenAPI spec MLServer's maintainers publish in its wheel
(``mlserver/rest/openapi/dataplane.json``, fetched by tests/peers.py), not ours. It is run as
``tests/unit/http/test_openapi_conformance.py`` runs our document: Schemathesis' engine over the
ASGI app, every phase, positive and negative data, a real XGBoost booster on the in-memory
adapters; ``{model_name}`` and ``{model_version}`` are the served model's (and, in one more run,
anything), and every request carries the API key (the spec declares no security).

What the spec is given, each said where it is done (``amended``): only the operations the
protocol's core defines (MLServer also lists its ``infer_stream``, ``generate`` and
``generate_stream`` extensions, not served here); ``TensorData``'s ``{"type": "bytes"}``, which
is no JSON Schema type (a validator refuses it), read as the array the protocol's JSON form
sends; and one infer request the served model can answer as the infer operations' example, so
the examples phase sends one (the spec's tensors are any tensors, and every other request is
one this model rightly refuses).

Checks: all of Schemathesis' but one, each on the spec with our deliberate departures written
into it (``with_departures``, listed in its docstring and in docs/api.md), so each departure is
named once and everything else is held to the letter: no 5xx, only documented statuses and
content types, every body of a documented status as the spec's schema says (200s above all:
every operation must answer 200 at least once), schema-invalid requests refused. Not run: the
check that schema-valid requests are accepted, as the spec is model-agnostic (a tensor of any
name and shape is valid to it, and this model rightly refuses nearly all of them).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import structlog
from dependency_injector import providers

from predictor.adapters.memory import StaticSecretStore
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.config import API_KEYS_SECRET
from predictor.container import Container
from predictor.domain.schema import TaskType
from predictor.entrypoints.http.app import create_app
from tests.peers import oip_specification
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import API_KEY, FAST_RETRY, PROBLEM_JSON, row
from tests.unit.http.test_openapi_conformance import REJECTED, execute

JSON = "application/json"
SEED = 2024
MAX_EXAMPLES = 25
NOT_SERVED = ("/infer_stream", "/generate", "/generate_stream")
ROW = row()
EXAMPLE = {
    "inputs": [
        {"name": "x1", "shape": [1], "datatype": "FP32", "data": [ROW["x1"]]},
        {"name": "x2", "shape": [1], "datatype": "FP32", "data": [ROW["x2"]]},
        {"name": "colour", "shape": [1], "datatype": "BYTES", "data": [ROW["colour"]]},
    ]
}
# Where we answer otherwise than the spec says, on purpose (docs/api.md, "Checked against the
# protocol's specification"); ``with_departures`` writes each into the spec, so every check still
# runs on everything else.
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
    """The spec with the three amendments of the module docstring."""
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
    whatever their value."""
    spec = copy.deepcopy(spec)
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            responses = operation["responses"]
            if path.endswith(READY_ROUTES):
                responses["503"] = {"description": "Not ready", "content": {JSON: {"schema": ERROR}}}
            if path.endswith(MODEL_READY):
                responses["404"] = {"description": "Not served", "content": {JSON: {"schema": ERROR}}}
            for status, response in responses.items():
                if status != "200" and JSON in response.get("content", {}):
                    response["content"] = {PROBLEM_JSON: response["content"][JSON]}
    spec["components"]["schemas"]["Parameters"] = {"type": "object"}
    request = spec["components"]["schemas"]["InferenceRequest"]["properties"]
    for name in NULL_IS_ABSENT:
        request[name] = {"anyOf": [request[name], {"type": "null"}]}
    return spec


def config(version: str | None) -> schemathesis.Config:
    """``version``: the served model's name and that version in every path; None: any."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "cache": {"enabled": False},
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "headers": {"X-API-Key": API_KEY},
            "parameters": {"model_name": "demo", "model_version": version} if version else {},
            "checks": {
                "enabled": True,
                "negative_data_rejection": {"expected-statuses": REJECTED},
                "positive_data_acceptance": {"enabled": False},
            },
        }
    )


def loaded(spec: dict[str, Any], app: Any, version: str | None) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_dict(spec, config=config(version))
    schema.app = app
    return schema


@pytest.fixture(autouse=True)
def quiet_access_log() -> Iterator[None]:
    """One access line per request is hundreds of lines here; errors still show."""
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    yield
    structlog.configure(**previous)


def test_every_operation_of_the_spec_is_served() -> None:
    spec = amended(oip_specification())
    served = create_app(served_container()[0]).openapi()["paths"]

    ours = {
        p.replace("{model_name}", "{name}").replace("{model_version}", "{version}") for p in spec["paths"]
    }
    left_out = set(oip_specification()["paths"]) - set(spec["paths"])

    assert len(spec["paths"]) == 9
    assert ours <= set(served), sorted(ours - set(served))
    assert {p.rsplit("/", 1)[-1] for p in left_out} == {"infer_stream", "generate", "generate_stream"}


@pytest.mark.parametrize("task", [TaskType.BINARY, TaskType.REGRESSION])
def test_the_service_answers_as_the_protocols_specification_says(task: TaskType) -> None:
    container, version = served_container(task)
    app = create_app(container, load_backoff=FAST_RETRY)
    spec = with_departures(amended(oip_specification()))

    run = execute(lambda: loaded(spec, app, version))

    assert not run.failures, f"{len(run.failures)} distinct failures:\n\n" + "\n\n----\n\n".join(
        run.failures.values()
    )
    operations = [f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item if m != "parameters"]
    unanswered = [label for label in operations if 200 not in run.statuses.get(label, set())]
    assert not unanswered, f"operations that never answered 200: {unanswered}"


def test_another_model_is_answered_as_the_specification_says() -> None:
    """Any name and version in the path: 404 (a problem with ``error``) unless they are the served
    model's; the same checks."""
    app = create_app(served_container()[0], load_backoff=FAST_RETRY)

    run = execute(lambda: loaded(with_departures(amended(oip_specification())), app, None))

    assert not run.failures, "\n\n----\n\n".join(run.failures.values())
    assert 404 in run.statuses["GET /v2/models/{model_name}"]
    assert 404 in run.statuses["POST /v2/models/{model_name}/infer"]
