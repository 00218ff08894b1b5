"""S3ArtifactStore's faults on moto (``mock_aws``) and botocore's own Stubber: each S3 error is
one clear domain error, and a publish that fails part way leaves no object behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from predictor.adapters.aws.s3 import S3ArtifactStore, split_uri
from predictor.adapters.files.artifacts import LocalArtifactStore
from predictor.adapters.files.schemes import ArtifactStoresByScheme
from predictor.config import load_settings
from predictor.container import build_container
from predictor.domain.errors import ConfigurationError, ModelUnavailable
from tests.aws import BUCKET, fake_aws_env, in_process_s3, s3_client
from tests.servers import free_port


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with in_process_s3(monkeypatch, BUCKET) as made:
        yield made


def test_a_missing_bucket_is_named(client: Any) -> None:
    with pytest.raises(ConfigurationError, match="the bucket 'no-such-bucket' does not exist"):
        S3ArtifactStore(client).read("s3://no-such-bucket/model/manifest.json")
    with pytest.raises(ConfigurationError, match="does not exist"):
        S3ArtifactStore(client).write("s3://no-such-bucket/a.json", b"{}")


def test_uris_without_a_bucket_or_of_another_scheme_are_refused() -> None:
    assert split_uri("s3://bucket/a/b.json") == ("bucket", "a/b.json")
    with pytest.raises(ConfigurationError, match="names no bucket"):
        split_uri("s3:///key")
    with pytest.raises(ConfigurationError, match="not an s3:// URI"):
        split_uri("relative/key")


@pytest.mark.parametrize(
    ("code", "status", "error", "words"),
    [
        ("AccessDenied", 403, ConfigurationError, "access denied (AccessDenied); check the IAM policy"),
        ("SlowDown", 503, ModelUnavailable, "S3 is busy or failing"),
        ("ExpiredToken", 400, ConfigurationError, "credentials were refused"),
    ],
)
def test_refusals_and_throttling_are_domain_errors(
    client: Any, code: str, status: int, error: type[Exception], words: str
) -> None:
    with Stubber(client) as stubber:
        stubber.add_client_error("get_object", service_error_code=code, http_status_code=status)
        with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
            S3ArtifactStore(client).read(f"s3://{BUCKET}/model/manifest.json")


def test_an_unreachable_endpoint_is_unavailable_not_a_stack_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_aws_env(monkeypatch)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = S3ArtifactStore(s3_client(closed))
    with pytest.raises(
        ModelUnavailable, match="S3 cannot be reached for s3://bucket-x/a: EndpointConnectionError"
    ):
        store.read("s3://bucket-x/a")


def test_no_credentials_says_where_boto3_looked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_aws_env(monkeypatch)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    # No instance metadata either: the lookup would leave loopback.
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConfigurationError, match="no AWS credentials for s3://bucket-x/a"):
        S3ArtifactStore().read("s3://bucket-x/a")


def fail_after(uploads: int) -> Any:
    """A botocore ``before-call`` hook: the first ``uploads`` PutObjects go through, the next is
    answered AccessDenied, as a bucket policy changed mid-publish would."""
    calls = {"n": 0}

    def hook(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        calls["n"] += 1
        if calls["n"] <= uploads:
            return None
        error = {
            "Error": {"Code": "AccessDenied", "Message": "denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return AWSResponse("https://s3.invalid", 403, {}, None), error

    return hook


def test_a_publish_that_fails_part_way_leaves_nothing(client: Any) -> None:
    store = S3ArtifactStore(client)
    client.meta.events.register("before-call.s3.PutObject", fail_after(2))
    stagings: list[Path] = []

    def publish() -> None:
        with store.publish(f"s3://{BUCKET}/export", {"version.json": b"{}"}) as staging:
            stagings.append(staging)
            for name in ("a.bin", "b.bin", "c.bin"):
                (staging / name).write_bytes(b"x" * 10)

    with pytest.raises(ConfigurationError, match="access denied"):
        publish()
    client.meta.events.unregister("before-call.s3.PutObject")
    assert store.list(f"s3://{BUCKET}/export") == []
    assert not stagings[0].exists()


def test_the_completing_file_is_uploaded_last(client: Any) -> None:
    order: list[str] = []
    client.meta.events.register(
        "before-call.s3.PutObject", lambda params, **_: order.append(params["url_path"])
    )
    with S3ArtifactStore(client).publish(f"s3://{BUCKET}/export", {"version.json": b"{}"}) as staging:
        (staging / "z.bin").write_bytes(b"z")
        (staging / "a.bin").write_bytes(b"a")
    assert order == ["/export/a.bin", "/export/z.bin", "/export/version.json"]


def test_the_container_sends_each_uri_to_its_store(tmp_path: Path) -> None:
    store = build_container(load_settings()).adapters.artifacts()
    assert isinstance(store, ArtifactStoresByScheme)
    assert isinstance(store.store_for("s3://bucket/key"), S3ArtifactStore)
    assert isinstance(store.store_for(str(tmp_path)), LocalArtifactStore)
    assert isinstance(store.store_for(tmp_path.as_uri()), LocalArtifactStore)
    with pytest.raises(ConfigurationError, match=r"gs:// is not supported; use a path or file://, s3://"):
        store.store_for("gs://bucket/key")
