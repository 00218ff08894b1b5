"""Brakes on guessing keys (failed authentications per client address) and on a key's rate."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.unit.http.conftest import API_KEY, AUTH, assert_problem, row, serve, trained_container

WRONG = {"X-API-Key": "wrong-key-0123456789abcdef"}
BODY = {"instances": [row()]}


def test_an_address_that_keeps_failing_gets_429_even_with_the_right_key() -> None:
    with serve(trained_container(auth_failure_burst=5, auth_failure_rate_per_s=0.01)) as client:
        failures = [client.post("/predict", json=BODY, headers=WRONG).status_code for _ in range(5)]
        braked = client.post("/predict", json=BODY, headers=WRONG)
        right_key = client.post("/predict", json=BODY, headers=AUTH)
        admin_route = client.post("/v1/models/reload", headers=WRONG)
        open_route = client.get("/health/live")
    with TestClient(client.app, client=("192.0.2.9", 50000)) as elsewhere:
        other_address = elsewhere.post("/predict", json=BODY, headers=AUTH)

    assert failures == [401] * 5
    problem = assert_problem(braked, 429, "too-many-requests")
    assert "failed authentications" in problem["detail"]
    assert int(braked.headers["Retry-After"]) >= 1
    assert_problem(right_key, 429, "too-many-requests")  # a guess that would succeed is refused too
    assert_problem(admin_route, 429, "too-many-requests")
    assert open_route.status_code == 200
    assert other_address.status_code == 200, other_address.text


def test_successful_requests_spend_nothing_of_the_failure_budget() -> None:
    with serve(trained_container(auth_failure_burst=2)) as client:
        statuses = [client.post("/predict", json=BODY, headers=AUTH).status_code for _ in range(20)]

    assert statuses == [200] * 20


def test_a_client_key_on_an_admin_route_is_403_not_a_failed_guess() -> None:
    with serve(trained_container(auth_failure_burst=2)) as client:
        statuses = [client.post("/v1/models/reload", headers=AUTH).status_code for _ in range(5)]

    assert statuses == [403] * 5


def test_the_failure_brake_can_be_turned_off() -> None:
    with serve(trained_container(auth_failure_burst=0)) as client:
        statuses = {client.post("/predict", json=BODY, headers=WRONG).status_code for _ in range(50)}

    assert statuses == {401}


def test_a_key_over_its_rate_gets_429_and_other_keys_do_not() -> None:
    with serve(trained_container(key_rate_per_s=0.01, key_burst=3)) as client:
        statuses = [client.post("/predict", json=BODY, headers=AUTH).status_code for _ in range(4)]
        limited = client.post("/predict", json=BODY, headers=AUTH)
        rotated = client.post("/predict", json=BODY, headers={"X-API-Key": "rotated-key-fedcba9876543210"})

    assert statuses == [200, 200, 200, 429]
    problem = assert_problem(limited, 429, "too-many-requests")
    assert "PREDICTOR_KEY_RATE_PER_S" in problem["detail"]
    assert int(limited.headers["Retry-After"]) >= 1
    assert API_KEY not in limited.text
    assert rotated.status_code == 200
