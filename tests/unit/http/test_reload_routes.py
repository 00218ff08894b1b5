"""GET /v1/models, the admin POST /v1/models/reload, and the alias polling, in process."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dependency_injector import providers

from predictor.adapters.memory import RecordingAlerter, StaticSecretStore
from predictor.config import ADMIN_API_KEYS_SECRET, API_KEYS_SECRET
from predictor.container import Container
from predictor.domain.schema import TaskType
from tests.unit.http.conftest import API_KEY, AUTH, assert_problem, row, serve
from tests.unit.variants import register_variant, registry_of, renamed

ADMIN_KEY = "admin-key-0123456789abcdef"
ADMIN = {"X-API-Key": ADMIN_KEY}


def keyed(container: Container, admin: tuple[str, ...] = (ADMIN_KEY,)) -> Container:
    store = StaticSecretStore({API_KEYS_SECRET: [API_KEY], ADMIN_API_KEYS_SECRET: list(admin)})
    container.adapters.secrets.override(providers.Object(store))
    return container


def trained(**settings: object) -> Container:
    from tests.unit.builders import memory_container, train_demo

    container = keyed(memory_container(TaskType.BINARY, **settings))
    train_demo(container)
    return container


def eventually(condition: Callable[[], bool], within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_models_lists_the_served_models_versions_and_aliases() -> None:
    container = trained(reload_interval_s=0)
    registry_of(container).register("demo", registry_of(container).list_versions("demo")[0].source, None, {})
    registry_of(container).set_alias("demo", "staging", "2")
    with serve(container) as client:
        response = client.get("/v1/models", headers=AUTH)
        unauthorised = client.get("/v1/models")

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["alias"], body["serving"]) == ("demo", "production", "1")
    assert body["aliases"] == {"production": "1", "staging": "2"}
    assert [(v["version"], v["aliases"]) for v in body["versions"]] == [
        ("2", ["staging"]),
        ("1", ["production"]),
    ]
    assert body["versions"][1]["run_id"] == "run-1"
    assert body["versions"][1]["created_at"].endswith("+00:00")
    assert "test_accuracy" in body["versions"][1]["metrics"]
    assert_problem(unauthorised, 401, "unauthorized")


def test_models_is_a_503_problem_while_the_registry_is_unreachable() -> None:
    container = trained(reload_interval_s=0)
    with serve(container) as client:
        registry_of(container).offline = True
        assert_problem(client.get("/v1/models", headers=AUTH), 503, "model-unavailable")
        assert client.get("/health/ready").status_code == 200


@pytest.mark.parametrize(
    ("headers", "status", "slug"),
    [({}, 401, "unauthorized"), (AUTH, 403, "forbidden"), ({"X-API-Key": "x" * 20}, 401, "unauthorized")],
    ids=["no key", "client key", "unknown key"],
)
def test_reload_needs_an_admin_key(headers: dict[str, str], status: int, slug: str) -> None:
    with serve(trained(reload_interval_s=0)) as client:
        assert_problem(client.post("/v1/models/reload", headers=headers), status, slug)


def test_an_admin_key_in_the_query_string_is_refused() -> None:
    with serve(trained(reload_interval_s=0)) as client:
        response = client.post(f"/v1/models/reload?api_key={ADMIN_KEY}", headers=ADMIN)
    assert_problem(response, 401, "unauthorized")


def test_with_no_admin_key_configured_reload_is_forbidden_and_says_why() -> None:
    with serve(keyed(trained(reload_interval_s=0), admin=())) as client:
        body = assert_problem(client.post("/v1/models/reload", headers=AUTH), 403, "forbidden")
    assert ADMIN_API_KEYS_SECRET in body["detail"]


def test_an_admin_key_is_not_a_client_key() -> None:
    with serve(trained(reload_interval_s=0)) as client:
        response = client.post("/predict", json={"instances": [row()]}, headers=ADMIN)
    assert_problem(response, 401, "unauthorized")


def test_reload_swaps_in_the_version_the_alias_names_now(tmp_path: Path) -> None:
    container = trained(reload_interval_s=0)
    with serve(container) as client:
        unchanged = client.post("/v1/models/reload", headers=ADMIN)
        registry_of(container).set_alias("demo", "production", register_variant(container, tmp_path))
        swapped = client.post("/v1/models/reload", headers=ADMIN)
        predicted = client.post("/predict", json={"instances": [row()]}, headers=AUTH)

    assert unchanged.status_code == 200
    assert unchanged.json() == {
        "outcome": "unchanged",
        "name": "demo",
        "alias": "production",
        "version": "1",
        "previous": None,
    }
    assert swapped.status_code == 200
    assert (swapped.json()["outcome"], swapped.json()["previous"], swapped.json()["version"]) == (
        "swapped",
        "1",
        "2",
    )
    assert swapped.headers["X-Model-Version"] == "2"
    assert predicted.headers["X-Model-Version"] == "2"
    assert predicted.json()["model"]["version"] == "2"


def test_a_refused_version_is_a_409_problem_with_the_reason_and_the_old_one_keeps_serving(
    tmp_path: Path,
) -> None:
    container = trained(reload_interval_s=0)
    with serve(container) as client:
        breaking = register_variant(container, tmp_path, renamed("x1", "income"))
        registry_of(container).set_alias("demo", "production", breaking)
        refused = client.post("/v1/models/reload", headers=ADMIN)
        predicted = client.post("/predict", json={"instances": [row()]}, headers=AUTH)

    body = assert_problem(refused, 409, "model-refused")
    assert "version 2" in body["detail"]
    assert "breaking change" in body["detail"]
    assert refused.headers["X-Model-Version"] == "1"
    assert predicted.status_code == 200
    assert predicted.headers["X-Model-Version"] == "1"


def test_reload_with_the_registry_unreachable_is_a_503_and_the_service_stays_ready() -> None:
    container = trained(reload_interval_s=0)
    with serve(container) as client:
        registry_of(container).offline = True
        assert_problem(client.post("/v1/models/reload", headers=ADMIN), 503, "model-unavailable")
        assert client.get("/health/ready").status_code == 200


def test_the_service_follows_the_alias_by_polling(tmp_path: Path) -> None:
    container = trained(reload_interval_s=0.05)
    with serve(container) as client:
        registry_of(container).set_alias("demo", "production", register_variant(container, tmp_path))

        def serving_two() -> bool:
            return bool(client.get("/health/ready", headers=AUTH).json()["model"]["version"] == "2")

        assert eventually(serving_two)


def test_polling_through_an_outage_stays_ready_and_alerts_once(tmp_path: Path) -> None:
    container = trained(reload_interval_s=0.02)
    alerter = container.adapters.alerter()
    assert isinstance(alerter, RecordingAlerter)
    with serve(container) as client:
        registry = registry_of(container)
        registry.offline = True
        assert eventually(lambda: len(alerter.alerts) == 1)
        statuses = set()
        for _ in range(10):  # several polls into the outage
            statuses.add(client.get("/health/ready").status_code)
            time.sleep(0.02)
        registry.offline = False
        registry.set_alias("demo", "production", register_variant(container, tmp_path))
        assert eventually(lambda: client.get("/health/ready", headers=AUTH).json()["model"]["version"] == "2")

    assert statuses == {200}
    assert [a.subject for a in alerter.alerts] == ["registry unreachable"]


def test_with_polling_off_the_alias_is_not_followed(tmp_path: Path) -> None:
    container = trained(reload_interval_s=0)
    with serve(container) as client:
        registry_of(container).set_alias("demo", "production", register_variant(container, tmp_path))
        time.sleep(0.2)
        assert client.get("/health/ready", headers=AUTH).json()["model"]["version"] == "1"


def test_shutdown_cancels_the_poller() -> None:
    container = trained(reload_interval_s=0.01)
    with serve(container) as client:
        assert client.get("/health/ready").status_code == 200
    registry_of(container).offline = True
    time.sleep(0.1)
    alerter = container.adapters.alerter()
    assert isinstance(alerter, RecordingAlerter)
    assert alerter.alerts == []  # nothing polled the registry after shutdown
