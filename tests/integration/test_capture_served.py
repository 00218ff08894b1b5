"""Request capture, as served: ``predictor serve`` (uvicorn) on an exported Breast Cancer model
captures to a local directory and to S3 on moto's server on loopback; the Parquet files, read
back with pyarrow, hold exactly the rows sent, as the served model's encoder encodes them, with
the answers and request ids the clients got, and nothing of their keys or headers. A directory
that cannot be written leaves every answer a 200 and counts the rows dropped."""

from __future__ import annotations

import io
import math
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sklearn.datasets import load_breast_cancer

from predictor.adapters.files.manifests import read_manifest
from predictor.domain.capture import ANSWER_COLUMNS, BATCH_FILE
from predictor.domain.encoding.rows import RowEncoder
from tests.aws import BUCKET, fake_aws_env, moto_server, s3_client, server_env
from tests.servers import export_breast_cancer, free_port, local_env, running

pytestmark = pytest.mark.integration

API_KEY = "client-key-0123456789abcdef"
ADMIN_KEY = "admin-key-0123456789abcdef"
SECRET_HEADER = "X-Tenant-Secret"  # noqa: S105  # a header name
SECRET_VALUE = "tenant-secret-value-0123456789"  # noqa: S105  # a test's own value, to look for


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_breast_cancer(tmp_path_factory.mktemp("export"), plots=False)


def _rows() -> list[dict[str, Any]]:
    data = load_breast_cancer()
    rows: list[dict[str, Any]] = [
        dict(zip(data.feature_names, map(float, values), strict=True)) for values in data.data[:12]
    ]
    rows[3]["mean radius"] = None  # a missing value: NaN as encoded
    return rows


def _send(url: str, rows: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """Three rows a request; each answer's request id and labels."""
    headers = {"X-API-Key": API_KEY, SECRET_HEADER: SECRET_VALUE}
    answered = []
    with httpx.Client(timeout=30) as client:
        for start in range(0, len(rows), 3):
            body = {"instances": rows[start : start + 3]}
            response = client.post(f"{url}/predict", json=body, headers=headers)
            assert response.status_code == 200, response.text
            labels = [p["label"] for p in response.json()["predictions"]]
            answered.append((response.headers["X-Request-ID"], labels))
    return answered


def _serve_env(work: Path, uri: str, **extra: str) -> dict[str, str]:
    settings = {"PREDICTOR_CAPTURE_BATCH_ROWS": "6", **extra}
    return local_env(
        work, PREDICTOR_API_KEYS=API_KEY, PREDICTOR_METRICS_SINK="none", PREDICTOR_CAPTURE_URI=uri, **settings
    )


def _check_captured(table: pa.Table, exported: Path, rows: list[dict[str, Any]], answered: Any) -> None:
    manifest = read_manifest(next(exported.rglob("manifest.json")).parent)
    features = list(manifest.schema.names)
    assert table.column_names == [*features, *ANSWER_COLUMNS]
    assert all(table.schema.field(name).type == pa.float64() for name in features)
    assert table.schema.field("prediction").type == pa.string()
    assert table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    table = table.sort_by([("timestamp", "ascending"), ("request_id", "ascending")])
    by_request = dict(answered)
    ids = table.column("request_id").to_pylist()
    assert sorted(set(ids)) == sorted(by_request)
    order = [request_id for request_id, _ in answered]
    # Rows of one request are kept together and in order; put them in the order sent.
    positions = sorted(range(len(ids)), key=lambda i: (order.index(ids[i]), i))
    table = table.take(positions)
    encoded = RowEncoder(manifest.schema).encode(rows).matrix.astype(np.float64)
    captured = np.column_stack([table.column(name).to_numpy() for name in features])
    np.testing.assert_array_equal(captured, encoded)
    assert math.isnan(table.column("mean radius")[3].as_py())
    assert table.column("prediction").to_pylist() == [label for _, labels in answered for label in labels]
    assert set(table.column("model_name").to_pylist()) == {"demo"}
    assert set(table.column("model_version").to_pylist()) == {"1"}


def _no_secret_in(contents: list[bytes]) -> None:
    for content in contents:
        for secret in (API_KEY, SECRET_VALUE, SECRET_HEADER, "X-API-Key"):
            assert secret.encode() not in content


def test_capture_to_a_local_directory_holds_the_rows_as_encoded(exported: Path, tmp_path: Path) -> None:
    port, rows = free_port(), _rows()
    captured = tmp_path / "captured"
    args = ["serve", "--port", str(port), "--model-dir", str(exported)]
    with running(args, _serve_env(tmp_path, str(captured)), tmp_path, port) as (url, _):
        answered = _send(url, rows)
    # Stopped: the writer wrote what it held at shutdown.
    files = sorted((captured / "demo").iterdir())
    assert files
    assert all(BATCH_FILE.fullmatch(f.name) for f in files), [f.name for f in files]
    _check_captured(ds.dataset(captured / "demo", format="parquet").to_table(), exported, rows, answered)
    _no_secret_in([f.read_bytes() for f in files])


def test_capture_to_s3_holds_the_rows_as_encoded(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, rows = free_port(), _rows()
    with moto_server(BUCKET) as endpoint:
        fake_aws_env(monkeypatch, endpoint)
        env = {**_serve_env(tmp_path, f"s3://{BUCKET}/captured"), **server_env(endpoint)}
        args = ["serve", "--port", str(port), "--model-dir", str(exported)]
        with running(args, env, tmp_path, port) as (url, _):
            answered = _send(url, rows)
        client = s3_client(endpoint)
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix="captured/demo/").get("Contents", [])
        keys = sorted(item["Key"] for item in listed)
        assert keys
        assert all(BATCH_FILE.fullmatch(key.removeprefix("captured/demo/")) for key in keys), keys
        bodies = [client.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys]
    table = pa.concat_tables([pq.read_table(io.BytesIO(body)) for body in bodies])
    _check_captured(table, exported, rows, answered)
    _no_secret_in(bodies)


def _dropped(url: str) -> float:
    text = httpx.get(f"{url}/metrics", headers={"X-API-Key": ADMIN_KEY}, timeout=30).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "predictor_capture_dropped_rows_total" and sample.labels["reason"] == "store_failed"
    )


@pytest.fixture
def unwritable(tmp_path: Path) -> Path:
    # A file where the directory would be: chmod cannot stop root, and tests may run as root.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("in the way")
    return blocker / "captured"


def test_an_unwritable_directory_leaves_answers_200_and_counts_the_drop(
    exported: Path, tmp_path: Path, unwritable: Path
) -> None:
    port, rows = free_port(), _rows()
    env = _serve_env(
        tmp_path,
        str(unwritable),
        PREDICTOR_ADMIN_API_KEYS=ADMIN_KEY,
        PREDICTOR_PROMETHEUS_ENABLED="true",
        PREDICTOR_CAPTURE_BATCH_ROWS="1",
    )
    args = ["serve", "--port", str(port), "--model-dir", str(exported)]
    with running(args, env, tmp_path, port) as (url, log):
        assert len(_send(url, rows)) == 4  # every answer a 200 (checked in _send)
        dropped = 0.0
        for _ in range(300):  # until the writer thread has tried (a deadline, not a timing)
            dropped = _dropped(url)
            if dropped >= len(rows):
                break
            time.sleep(0.05)
        assert dropped == len(rows)
        alerts = [line for line in log.read_text().splitlines() if "alert: request capture failing" in line]
        assert len(alerts) == 1  # alerted once, for four batches dropped
    assert not unwritable.exists()
