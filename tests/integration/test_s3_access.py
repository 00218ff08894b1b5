"""Access denied by IAM, for real: moto's server on loopback with IAM enforced, and the
credentials of a user whose policy only lists the bucket. Both S3 clients (pyarrow's for table
files, boto3's for artifacts) say "access denied" in one line, and a denied publish leaves nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import numpy as np
import pytest

from predictor.adapters.aws.s3 import S3ArtifactStore
from predictor.adapters.files.arrow import ArrowTableFiles
from predictor.domain.errors import ConfigurationError
from predictor.domain.schema import Feature, FeatureSchema, Target, TaskType
from tests.aws import BUCKET, REGION, fake_aws_env, moto_server, s3_client

pytestmark = pytest.mark.integration

SCHEMA = FeatureSchema((Feature("x1"),), Target("label", TaskType.BINARY, ("no", "yes")))
LIST_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{BUCKET}"]}],
}


def enforce_iam(endpoint: str, enforced: bool) -> None:
    """moto's switch (process-wide, so always switched back): check every request against IAM."""
    httpx.post(f"{endpoint}/moto-api/reset-auth", content=b"0" if enforced else b"inf").raise_for_status()


def keys_under(endpoint: str, prefix: str) -> list[str]:
    enforce_iam(endpoint, False)  # to look, as the account's root would
    listed = s3_client(endpoint).list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return [item["Key"] for item in listed if not item["Key"].endswith("/")]


@pytest.fixture
def denied(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The environment of a user who may list the bucket and nothing else; yields the endpoint."""
    with moto_server(BUCKET) as endpoint:
        fake_aws_env(monkeypatch, endpoint)
        s3_client(endpoint).put_object(Bucket=BUCKET, Key="rows.csv", Body=b"x1\n1\n2\n")
        iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
        user = f"lister-{uuid.uuid4().hex[:8]}"  # moto's state outlives its server, in this process
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="list-only", PolicyDocument=json.dumps(LIST_ONLY))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        enforce_iam(endpoint, True)
        try:
            monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
            monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
            monkeypatch.delenv("AWS_SESSION_TOKEN")
            yield endpoint
        finally:
            enforce_iam(endpoint, False)


def test_reading_a_table_is_denied_in_one_line(denied: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        list(ArrowTableFiles().read(f"s3://{BUCKET}/rows.csv", SCHEMA, [], 10))
    assert str(caught.value) == (
        f"s3://{BUCKET}/rows.csv: access denied; check the IAM policy of these credentials"
    )


def test_writing_predictions_is_denied_and_leaves_nothing(denied: str) -> None:
    def write() -> None:
        with ArrowTableFiles().write(f"s3://{BUCKET}/out/p.parquet") as sink:
            sink.write({"value": np.array([1.0, 2.0])}, None)

    with pytest.raises(ConfigurationError, match="access denied"):
        write()
    assert keys_under(denied, "out/") == []


def test_artifacts_are_denied_in_one_line_and_a_denied_publish_leaves_nothing(
    denied: str, tmp_path: Path
) -> None:
    store = S3ArtifactStore()
    with pytest.raises(ConfigurationError, match=r"access denied \(AccessDenied\)"):
        store.read(f"s3://{BUCKET}/rows.csv")

    def publish() -> None:
        with store.publish(f"s3://{BUCKET}/export", {"version.json": b"{}"}) as staging:
            (staging / "model.ubj").write_bytes(b"booster")

    with pytest.raises(ConfigurationError, match="access denied"):
        publish()
    assert keys_under(denied, "export/") == []
