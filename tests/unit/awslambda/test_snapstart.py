"""The SnapStart hooks: before the snapshot, init's metrics are published; after a restore,
randomness is re-seeded and the AWS clients' connections are closed (and work again)."""

from __future__ import annotations

import random
from collections.abc import Iterator

import boto3
import numpy as np
import pytest
import snapshot_restore_py
from moto import mock_aws

from predictor.adapters.memory import RecordingMetricsSink
from predictor.entrypoints.awslambda.snapstart import after_restore, before_snapshot, register_snapstart_hooks
from tests.unit.builders import serving


@pytest.fixture
def registries() -> Iterator[None]:
    """snapshot_restore_py's registries, emptied again after the test."""
    yield
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()


def test_before_the_snapshot_what_init_counted_is_published() -> None:
    container = serving()
    container.request_metrics().observe("/predict", 200, 1.5)
    before_snapshot(container)
    sink = container.adapters.metrics()
    assert isinstance(sink, RecordingMetricsSink)
    assert sink.metrics
    assert container.request_metrics().drain() == []  # nothing left for a restored copy to publish


def test_after_a_restore_randomness_is_reseeded() -> None:
    # The legacy global generators: the state every restored copy of a snapshot would share.
    random.seed(7)
    np.random.seed(7)
    snapshot_draws = (random.random(), np.random.random())  # noqa: S311  # not for cryptography
    random.seed(7)
    np.random.seed(7)
    after_restore(serving())
    assert (random.random(), np.random.random()) != snapshot_draws  # noqa: S311  # likewise


@mock_aws
def test_after_a_restore_the_aws_clients_connections_are_closed_and_reopen() -> None:
    client = boto3.session.Session(region_name="eu-west-1").client("s3")
    client.create_bucket(Bucket="snapshot", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    after_restore(serving())
    pools = client._endpoint.http_session._manager.pools  # the pool the hook empties (botocore's own)
    assert len(pools) == 0
    assert [b["Name"] for b in client.list_buckets()["Buckets"]] == ["snapshot"]


@pytest.mark.usefixtures("registries")
def test_the_hooks_are_registered_with_the_runtime() -> None:
    container = serving()
    assert register_snapstart_hooks(container)
    assert snapshot_restore_py.get_before_snapshot() == [(before_snapshot, (container,), {})]
    assert snapshot_restore_py.get_after_restore() == [(after_restore, (container,), {})]
