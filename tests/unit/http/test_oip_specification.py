"""Schemathesis against the app with the Open Inference Protocol's own REST specification.

The document is the dataplane OpenAPI spec MLServer's maintainers publish in its wheel
(``mlserver/rest/openapi/dataplane.json``, fetched by tests/peers.py), not ours. It is run as
``tests/unit/http/test_openapi_conformance.py`` runs our document: Schemathesis' engine over the
ASGI app, every phase, positive and negative data, a real XGBoost booster on the in-memory
adapters; ``{model_name}`` and ``{model_version}`` are the served model's (and, in one more run,
anything), and every request carries the API key (the spec declares no security).

What the spec is given (``oip_spec.amended``): only the operations the protocol's core defines
(MLServer also lists its ``infer_stream``, ``generate`` and ``generate_stream`` extensions, not
served here); ``TensorData``'s ``{"type": "bytes"}``, which is no JSON Schema type (a validator
refuses it), read as the array the protocol's JSON form sends; and one infer request the served
model can answer as the infer operations' example, so the examples phase sends one (the spec's
tensors are any tensors, and every other request is one this model rightly refuses).

Checks: all of Schemathesis' but one, each on the spec with our deliberate departures written
into it (``oip_spec.with_departures``, listed in its docstring and in docs/api.md), so each
departure is named once and everything else is held to the letter: no 5xx, only documented statuses and
content types, every body of a documented status as the spec's schema says (200s above all:
every operation must answer 200 at least once), schema-invalid requests refused. Not run: the
check that schema-valid requests are accepted, as the spec is model-agnostic (a tensor of any
name and shape is valid to it, and this model rightly refuses nearly all of them).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from predictor.domain.schema import TaskType
from predictor.entrypoints.http.app import create_app
from tests.peers import oip_specification
from tests.unit.http.conftest import API_KEY, FAST_RETRY
from tests.unit.http.oip_spec import amended, served_container, with_departures
from tests.unit.http.test_openapi_conformance import REJECTED, execute

pytestmark = pytest.mark.usefixtures("quiet_access_log")  # conftest.py

SEED = 2024
MAX_EXAMPLES = 25


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
