"""Every response carries the security headers; HSTS in prod; HTTPS required on request, with the
scheme a trusted proxy reports believed and an untrusted one's ignored."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from fastapi.testclient import TestClient

from predictor.config import Profile
from tests.unit.http.conftest import AUTH, assert_problem, row, serve, trained_container
from tests.unit.http.test_server_errors import ExplodingModel

ALWAYS = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}
HSTS = "strict-transport-security"


def assert_hardened(response: Any) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (response.request.url.path, name)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_every_kind_of_response_carries_the_security_headers(client: TestClient) -> None:
    responses = [
        client.post("/predict", json={"instances": [row()]}, headers=AUTH),  # 200
        client.get("/health/live"),
        client.post("/predict", json={"instances": [row()]}),  # 401
        client.post("/predict", json={"instances": [{}]}, headers=AUTH),  # 400
        client.get("/nowhere"),  # 404
        client.get("/predict"),  # 405
        client.post("/predict", content=b"x", headers={**AUTH, "Content-Type": "text/plain"}),  # 415
        client.post("/predict", content=b"x" * (17 * 1024 * 1024), headers=AUTH),  # 413
    ]

    assert [r.status_code for r in responses] == [200, 200, 401, 400, 404, 405, 415, 413]
    for response in responses:
        assert_hardened(response)
        assert HSTS not in response.headers  # dev profile


def test_a_500_carries_them_too() -> None:
    container = trained_container()
    with serve(container) as client:
        served = container.slot().current()
        broken = ExplodingModel(served.model.manifest, RuntimeError("boom"))
        container.slot().swap(dataclasses.replace(served, model=broken))
        response = client.post("/predict", json={"instances": [row()]}, headers=AUTH)

    assert response.status_code == 500
    assert_hardened(response)


def test_the_prod_profile_adds_strict_transport_security() -> None:
    with serve(trained_container(profile=Profile.PROD)) as client:
        response = client.get("/health/live")

    assert response.headers[HSTS].startswith("max-age=")
    assert_hardened(response)


def test_https_required_refuses_plain_http_but_not_health_checks() -> None:
    with serve(trained_container(require_https=True)) as client:
        plain = client.post("/predict", json={"instances": [row()]}, headers=AUTH)
        health = [client.get(path).status_code for path in ("/health/live", "/health/ready", "/ping")]
        spoofed = client.post(
            "/predict", json={"instances": [row()]}, headers={**AUTH, "X-Forwarded-Proto": "https"}
        )
    with TestClient(client.app, base_url="https://testserver") as secure:
        over_tls = secure.post("/predict", json={"instances": [row()]}, headers=AUTH)

    problem = assert_problem(plain, 403, "https-required")
    assert "https://" in problem["detail"]
    assert_hardened(plain)
    assert health == [200, 200, 200]
    assert spoofed.status_code == 403  # no proxy is trusted: the header is the client's word
    assert over_tls.status_code == 200, over_tls.text


@pytest.mark.parametrize(("proxies", "status"), [(("testclient",), 200), (("10.0.0.1",), 403)])
def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(proxies: tuple[str, ...], status: int) -> None:
    with serve(trained_container(require_https=True, trusted_proxies=proxies)) as client:
        response = client.post(
            "/predict", json={"instances": [row()]}, headers={**AUTH, "X-Forwarded-Proto": "https"}
        )

    assert response.status_code == status, response.text
