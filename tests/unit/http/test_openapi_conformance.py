"""Schemathesis against the app, in process: the OpenAPI document says what the service does.

Each test is ``st run --checks all --mode all --seed 2024 --max-examples 25`` over the ASGI app
(``schemathesis.openapi.from_asgi``), run through Schemathesis' own engine as its CLI runs it:
every phase (the document's examples, coverage, fuzzing, stateful) and every check, with the
API key and the admin key supplied per security scheme; a binary, a multiclass and a regression
model, each a real XGBoost booster (the in-memory linear model overflows on the extreme values
the schema allows: 32-bit float range), on the in-memory adapters otherwise. Any failure, error
or skipped operation fails the test, listed with its request (as curl) and the answer.

Generation modes: positive and negative everywhere. JSON Schema cannot tie one value to
another, so the bodies of ``/invocations`` and ``/v2/models/{name}[/versions/{version}]/infer``
are described in part (``request_bodies.py``): the columns of ``dataframe_split`` and the CSV
header in schema order, though any order is read; MLflow's column form with one value per
column, though any equal length is read; V2 tensors of one row, as ``shape`` cannot be tied to
the length of ``data``, per-feature tensors in schema order, and float datatypes only, though
integer ones are read with integers in range. A request outside such a schema can be one the
service rightly accepts (columns in another order, a tensor of two rows), so there the check
that schema-invalid requests are refused (``negative_data_rejection``) is off; the negative
cases still run there, under every other check (``not_a_server_error`` above all).

Settings: 413 counts as a rejection (more rows than ``PREDICTOR_MAX_ROWS``, 100 here, are
refused with it; Schemathesis' default list leaves it out). The authentication brakes are off:
Schemathesis sends requests without a key on purpose, and 429 for them is the brakes' own test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import schemathesis
from dependency_injector import providers
from schemathesis import BaseSchema
from schemathesis.engine import Status, events, from_schema
from schemathesis.engine.run import PhaseName
from schemathesis.python.asgi import shutdown_lifespans

from predictor.adapters.memory import StaticSecretStore
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.config import ADMIN_API_KEYS_SECRET, API_KEYS_SECRET
from predictor.container import Container
from predictor.domain.schema import TaskType
from predictor.entrypoints.http.app import create_app
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import API_KEY, FAST_RETRY

pytestmark = pytest.mark.usefixtures("quiet_access_log")  # conftest.py

ADMIN_KEY = "admin-key-0123456789abcdef"
SEED = 2024
MAX_EXAMPLES = 25
MAX_ROWS = 100
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
# Bodies JSON Schema can describe only in part (see the module docstring).
DESCRIBED_IN_PART = r"^/invocations(/\{name\})?$|/infer$"
SHOWN_BYTES = 600


def xgboost_container(task: TaskType) -> Container:
    # With a shadow (the served version itself), so that its summary route has one to report.
    container = memory_container(
        task, max_rows=MAX_ROWS, auth_failure_burst=0, shadow_model="demo@production"
    )
    keys = {API_KEYS_SECRET: [API_KEY], ADMIN_API_KEYS_SECRET: [ADMIN_KEY]}
    container.adapters.secrets.override(providers.Object(StaticSecretStore(keys)))
    container.adapters.runtime.override(providers.Object(XGBoostRuntime()))
    container.adapters.trainer.override(providers.Object(XGBoostTrainer(nthread=1)))
    train_demo(container)
    return container


def config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "cache": {"enabled": False},  # nothing learnt from an earlier run, nothing written
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "checks": {"enabled": True, "negative_data_rejection": {"expected-statuses": REJECTED}},
            "auth": {"openapi": {"ApiKey": {"api_key": API_KEY}, "AdminApiKey": {"api_key": ADMIN_KEY}}},
            "operations": [
                {
                    "include-path-regex": DESCRIBED_IN_PART,
                    "checks": {"negative_data_rejection": {"enabled": False}},
                }
            ],
        }
    )


@dataclass
class Run:
    """What the engine reported: failures to show, and the statuses each operation answered."""

    failures: dict[tuple[str, ...], str] = field(default_factory=dict)
    statuses: dict[str, set[int]] = field(default_factory=dict)

    def fail(self, key: tuple[str, ...], text: str) -> None:
        self.failures.setdefault(key, text)

    def record(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        # Skips elsewhere are benign: an operation the document gives no example of (examples),
        # a scenario that took no step (stateful).
        if event.status is Status.SKIP and event.phase in (PhaseName.COVERAGE, PhaseName.FUZZING):
            self.fail(("skipped", recorder.label), f"{recorder.label}: skipped ({event.skip_reason})")
        for case_id, interaction in recorder.interactions.items():
            if interaction.response is not None and case_id in recorder.cases:
                label = recorder.cases[case_id].value.operation.label
                self.statuses.setdefault(label, set()).add(interaction.response.status_code)
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                sent = recorder.interactions.get(case_id)
                response = sent.response if sent is not None else None
                answer = "no answer"
                if response is not None:
                    body = (response.content or b"")[:SHOWN_BYTES].decode("utf-8", "replace")
                    answer = f"{response.status_code} {response.headers.get('content-type', [''])[0]}\n{body}"
                self.fail(
                    (recorder.label, check.name, failure.title),
                    f"{recorder.label} [{event.phase.value}] {check.name}: {failure.title}\n"
                    f"{failure.message}\n\n{check.failure_info.code_sample}\n\n-> {answer}",
                )


def run_schemathesis(container: Container) -> Run:
    app = create_app(container, load_backoff=FAST_RETRY)
    return execute(lambda: schemathesis.openapi.from_asgi("/openapi.json", app, config=config()))


def execute(load: Callable[[], BaseSchema]) -> Run:
    """Load the schema (over the app) and run every phase; the app's lifespan ends with the run."""
    run = Run()
    try:
        for event in from_schema(load()).execute():
            if isinstance(event, events.ScenarioFinished):
                run.record(event)
            elif isinstance(event, events.NonFatalError):
                run.fail(("error", event.label), f"{event.label}: {event.info.title}\n{event.info.message}")
            elif isinstance(event, events.FatalError):
                run.fail(("fatal",), f"fatal: {event.exception!r}")
            elif isinstance(event, events.SchemaAnalysisWarnings):
                run.fail(("warnings",), "schema analysis: " + "; ".join(map(str, event.warnings)))
    finally:
        shutdown_lifespans()  # the app's lifespan (model polling, metrics) ends with the run
    return run


@pytest.mark.parametrize("task", list(TaskType))
def test_schemathesis_finds_the_service_as_its_document_says(task: TaskType) -> None:
    container = xgboost_container(task)
    run = run_schemathesis(container)

    assert not run.failures, f"{len(run.failures)} distinct failures:\n\n" + "\n\n----\n\n".join(
        run.failures.values()
    )
    documented = {
        f"{method.upper()} {path}"
        for path, operations in create_app(container).openapi()["paths"].items()
        for method in operations
    }
    unanswered = sorted(
        label for label in documented if not any(200 <= s < 300 for s in run.statuses.get(label, ()))
    )
    assert not unanswered, f"operations that never answered 2xx: {unanswered}"
