"""SecretsManagerSecretStore: every failure of Secrets Manager arrives as a domain error.

Refusals come from botocore's Stubber; a timeout from a loopback socket that never answers;
an unreachable endpoint is a loopback port nobody listens on.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from predictor.adapters.aws.secrets import SecretsManagerSecretStore, secrets_manager_client
from predictor.domain.errors import ConfigurationError, SecretStoreUnavailable
from tests.aws_secrets import fake_aws_environment, secrets_client

NAME = "predictor/api-keys"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws_environment(monkeypatch)


def stubbed(code: str) -> tuple[SecretsManagerSecretStore, Stubber]:
    client: Any = secrets_manager_client(timeout_s=1.0, attempts=1)
    stubber = Stubber(client)
    stubber.add_client_error("get_secret_value", service_error_code=code, http_status_code=400)
    stubber.activate()
    return SecretsManagerSecretStore(client), stubber


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "AccessDeniedException",
            "is denied .AccessDeniedException.: the role needs secretsmanager:GetSecretValue",
        ),
        ("ThrottlingException", "throttled the reads of secret 'predictor/api-keys'"),
        ("InternalServiceError", "refused to read secret 'predictor/api-keys' .InternalServiceError."),
    ],
)
def test_a_refusal_is_the_store_unavailable_with_its_reason(code: str, message: str) -> None:
    store, stubber = stubbed(code)
    with pytest.raises(SecretStoreUnavailable, match=message):
        store.versions(NAME)
    stubber.assert_no_pending_responses()


class _Throttling(BaseHTTPRequestHandler):
    requests = 0

    def do_POST(self) -> None:
        type(self).requests += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_throttling_is_retried_by_boto3_then_is_the_store_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
        store = SecretsManagerSecretStore(secrets_manager_client(timeout_s=1.0, attempts=2))
        with pytest.raises(SecretStoreUnavailable, match="throttled"):
            store.versions(NAME)
    finally:
        server.shutdown()
        server.server_close()
    assert _Throttling.requests == 2


def test_a_missing_secret_is_a_configuration_error() -> None:
    store, _ = stubbed("ResourceNotFoundException")
    with pytest.raises(ConfigurationError, match="does not exist in Secrets Manager"):
        store.versions(NAME)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_read_that_times_out_is_the_store_unavailable(
    monkeypatch: pytest.MonkeyPatch, silent_port: int
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{silent_port}")
    store = SecretsManagerSecretStore(secrets_manager_client(timeout_s=0.2, attempts=1))
    with pytest.raises(SecretStoreUnavailable, match=r"cannot be reached .* \(ReadTimeoutError\)"):
        store.versions(NAME)


def test_an_unreachable_endpoint_is_the_store_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{unused_port()}")
    store = SecretsManagerSecretStore(secrets_manager_client(timeout_s=0.2, attempts=1))
    with pytest.raises(SecretStoreUnavailable, match=r"\(EndpointConnectionError\)"):
        store.versions(NAME)


def test_no_credentials_says_where_boto3_looks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{unused_port()}")
    store = SecretsManagerSecretStore(timeout_s=0.2)
    with pytest.raises(SecretStoreUnavailable, match="no AWS credentials were found"):
        store.versions(NAME)


def test_no_region_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(ConfigurationError, match="set AWS_REGION"):
        SecretsManagerSecretStore()


def test_a_binary_secret_is_refused() -> None:
    with mock_aws():
        secrets_client().create_secret(Name=NAME, SecretBinary=b"\x00\x01")
        with pytest.raises(ConfigurationError, match="holds binary data"):
            SecretsManagerSecretStore().versions(NAME)


def test_a_text_secret_reads_as_its_current_version() -> None:
    with mock_aws():
        secrets_client().create_secret(Name=NAME, SecretString="not-json-but-secret-0123")
        versions = SecretsManagerSecretStore().versions(NAME)
    assert versions.current == "not-json-but-secret-0123"
    assert versions.previous is None
