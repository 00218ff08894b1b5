"""The API key in the three places a client can put it: ``X-API-Key``, ``Authorization: Bearer``,
and HTTP Basic credentials (what ``http://any:KEY@host`` in a URL becomes). Every form is checked
by the same keyring: a wrong key is 401 in each, a client key on an admin route 403."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from tests.unit.http.conftest import API_KEY, assert_problem, row

BODY = {"instances": [row()]}


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "headers",
    [bearer(API_KEY), basic("any", API_KEY), basic(API_KEY, "")],
    ids=["bearer", "basic password", "basic user only"],
)
def test_each_form_of_a_valid_key_predicts(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post("/predict", json=BODY, headers=headers)
    assert response.status_code == 200, response.text
    assert (
        client.post("/invocations", json={"dataframe_records": [row()]}, headers=headers).status_code == 200
    )


@pytest.mark.parametrize(
    "headers",
    [bearer("not-a-key-0123456789"), basic("any", "not-a-key-0123456789"), {"Authorization": "Bearer "}],
    ids=["bearer", "basic", "empty bearer"],
)
def test_each_form_of_a_wrong_key_is_a_401(client: TestClient, headers: dict[str, str]) -> None:
    assert_problem(client.post("/predict", json=BODY, headers=headers), 401, "unauthorized")


@pytest.mark.parametrize(
    ("credentials", "why"),
    [("%%%not-base64", "not base64"), (base64.b64encode(b"no-colon").decode(), "no colon")],
)
def test_basic_credentials_that_cannot_be_read_say_so(client: TestClient, credentials: str, why: str) -> None:
    response = client.post("/predict", json=BODY, headers={"Authorization": f"Basic {credentials}"})
    problem = assert_problem(response, 401, "unauthorized")
    assert "Basic credentials are not base64 of 'user:key'" in problem["detail"], why


def test_the_x_api_key_header_wins_over_authorization(client: TestClient) -> None:
    wrong_header = {"X-API-Key": "not-a-key-0123456789", **bearer(API_KEY)}
    right_header = {"X-API-Key": API_KEY, **bearer("not-a-key-0123456789")}
    assert_problem(client.post("/predict", json=BODY, headers=wrong_header), 401, "unauthorized")
    assert client.post("/predict", json=BODY, headers=right_header).status_code == 200


def test_an_unrelated_authorization_scheme_is_no_key(client: TestClient) -> None:
    problem = assert_problem(
        client.post("/predict", json=BODY, headers={"Authorization": "Digest x"}), 401, "unauthorized"
    )
    assert "missing API key" in problem["detail"]
    assert "Bearer" in problem["detail"]


def test_readiness_names_the_model_to_a_key_in_any_form(client: TestClient) -> None:
    assert "model" not in client.get("/health/ready").json()
    assert client.get("/health/ready", headers=basic("any", API_KEY)).json()["model"]
    assert_problem(client.get("/health/ready", headers=bearer("not-a-key-0123456789")), 401, "unauthorized")


def test_a_client_key_as_bearer_is_not_an_admin_key(client: TestClient) -> None:
    assert_problem(client.post("/v1/models/reload", headers=bearer(API_KEY)), 403, "forbidden")
