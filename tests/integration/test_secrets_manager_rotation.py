"""API keys from Secrets Manager on moto's server (loopback): a rotation under load, an outage.

The app reads the secret through the real adapter and boto3 over HTTP, as it would in AWS;
only the endpoint (``AWS_ENDPOINT_URL``) and the fake credentials differ.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from moto.server import ThreadedMotoServer

from predictor.adapters.aws.secrets import SecretsManagerSecretStore
from predictor.config import SecretStoreKind
from predictor.container import Container
from predictor.entrypoints.http.app import create_app
from tests.aws import fresh_moto, moto_server
from tests.aws_secrets import fake_aws_environment, put_versions, secrets_client
from tests.unit.builders import memory_container, train_demo
from tests.unit.http.conftest import row

pytestmark = pytest.mark.integration

# moto keeps one backend per process, whichever server: each test names a secret of its own.
NAME = "predictor/api-keys"
STAYS = "stays-valid-key-0123456789"  # in every version
ROTATED_OUT = "rotated-out-key-0123456789"  # in v1, then only in AWSPREVIOUS, then gone
INCOMING = "incoming-key-0123456789ab"
TTL_S = 0.05
BODY = {"instances": [row()]}


def keys(*clients: str) -> str:
    return json.dumps({"api_keys": list(clients), "admin_keys": []})


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with moto_server() as url:
        fake_aws_environment(monkeypatch, url)
        yield url


@pytest.fixture
def own_moto_servers() -> Iterator[None]:
    """For a test that starts and stops moto's server itself: moto's process-wide backends are
    empty when it starts and when it ends."""
    with fresh_moto():
        yield


def container_on(store: SecretsManagerSecretStore, name: str = NAME, ttl_s: float = TTL_S) -> Container:
    container = memory_container(
        secret_store=SecretStoreKind.AWS, keys_secret_id=name, keys_ttl_s=ttl_s, keys_retry_s=TTL_S
    )
    container.adapters.secrets.override(providers.Object(store))
    train_demo(container)
    return container


async def hammer(client: httpx.AsyncClient, key: str, until: float, statuses: Counter[int]) -> None:
    while time.monotonic() < until:
        response = await client.post("/predict", json=BODY, headers={"X-API-Key": key})
        statuses[response.status_code] += 1


async def eventually(client: httpx.AsyncClient, key: str, status: int) -> int:
    """The key's status once the reads its requests start (on a thread) have caught up."""
    deadline = time.monotonic() + 5
    while True:
        answered = (await client.post("/predict", json=BODY, headers={"X-API-Key": key})).status_code
        if answered == status or time.monotonic() > deadline:
            return answered
        await asyncio.sleep(TTL_S)


async def rotate_under_load(app: Any, moto: Any) -> tuple[Counter[int], Counter[int]]:
    """STAYS and ROTATED_OUT hammer the app, 16 clients each, while the secret rotates once."""
    stays: Counter[int] = Counter()
    rotated: Counter[int] = Counter()
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        until = time.monotonic() + 1.5
        load = [hammer(client, STAYS, until, stays) for _ in range(16)]
        load += [hammer(client, ROTATED_OUT, until, rotated) for _ in range(16)]
        running = asyncio.gather(*load)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(moto.put_secret_value, SecretId=NAME, SecretString=keys(STAYS, INCOMING))
        await running
        # A further rotation drops ROTATED_OUT from both versions: refused within one TTL.
        await asyncio.to_thread(moto.put_secret_value, SecretId=NAME, SecretString=keys(STAYS, INCOMING))
        assert await eventually(client, ROTATED_OUT, 401) == 401
        assert await eventually(client, INCOMING, 200) == 200
    return stays, rotated


def test_a_rotation_under_load_rejects_no_key_that_stayed_valid(endpoint: str) -> None:
    moto = secrets_client(endpoint)
    put_versions(moto, NAME, [keys(STAYS, ROTATED_OUT)])
    container = container_on(SecretsManagerSecretStore(timeout_s=1.0))
    stays, rotated = asyncio.run(rotate_under_load(create_app(container), moto))
    assert set(stays) == {200}
    assert set(rotated) == {200}
    # 16 clients per key over 1.5 s, the rotation at 0.5 s (a busy shared host gets fewer through).
    assert stays.total() > 48
    assert rotated.total() > 48
    assert container.adapters.alerter().alerts == []


@pytest.mark.usefixtures("own_moto_servers")
def test_secrets_manager_going_away_keeps_the_keys_with_one_alert(monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    fake_aws_environment(monkeypatch, f"http://{host}:{port}")
    put_versions(secrets_client(f"http://{host}:{port}"), f"{NAME}-outage", [keys(STAYS)])
    container = container_on(SecretsManagerSecretStore(timeout_s=0.2), f"{NAME}-outage")
    app = create_app(container)
    server.stop()  # the port is closed now: every read is EndpointConnectionError

    async def requests() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        ):
            statuses = []
            for _ in range(5):
                await asyncio.sleep(TTL_S)
                response = await client.post("/predict", json=BODY, headers={"X-API-Key": STAYS})
                statuses.append(response.status_code)
            return statuses

    assert asyncio.run(requests()) == [200] * 5
    alerts = container.adapters.alerter().alerts
    assert len(alerts) == 1
    assert alerts[0].error == "SecretStoreUnavailable"
    assert "EndpointConnectionError" in alerts[0].context["reason"]


@pytest.mark.usefixtures("own_moto_servers")
def test_a_service_started_while_secrets_manager_is_down_answers_503_until_it_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    fake_aws_environment(monkeypatch, url)
    name = f"{NAME}-late"
    # A long TTL: once read, the keys are not read again (from a server about to stop).
    container = container_on(SecretsManagerSecretStore(timeout_s=0.2), name, ttl_s=60)
    app = create_app(container)  # starts: the read failed, nothing is in force
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)

    async def requests() -> tuple[httpx.Response, int]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        ):
            refused = await client.post("/predict", json=BODY, headers={"X-API-Key": STAYS})
            server.start()
            put_versions(secrets_client(url), name, [keys(STAYS)])
            return refused, await eventually(client, STAYS, 200)

    try:
        refused, served = asyncio.run(requests())
    finally:
        server.stop()
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "https://predictor.dev/problems/keys-unavailable"
    assert served == 200
    assert len(container.adapters.alerter().alerts) == 1
