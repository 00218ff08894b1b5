"""`--engine dask` with `s3://` parts, against moto's server on 127.0.0.1: `predictor train` and
`predictor predict` list the parts under a prefix or a glob, the workers (of the command's own
LocalCluster, which inherit its environment) read them from S3, and the scores land in S3."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.datasets import load_breast_cancer

from tests.aws import fake_aws_env, moto_server, s3_client, server_env
from tests.servers import PREDICTOR, local_env

pytestmark = pytest.mark.integration

BUCKET = "predictor-parts"


def run(work: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PREDICTOR, *args], env=env, cwd=work, capture_output=True, text=True, timeout=600, check=False
    )


def test_train_and_predict_read_s3_parts_and_write_s3_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = load_breast_cancer(as_frame=True).frame
    frame["diagnosis"] = np.where(frame.pop("target") == 1, "benign", "malignant")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with moto_server(BUCKET) as endpoint:
        fake_aws_env(monkeypatch, endpoint)
        client = s3_client(endpoint)
        for k, (start, stop) in enumerate([(0, 200), (200, 400), (400, table.num_rows)]):
            pq.write_table(table.slice(start, stop - start), tmp_path / f"rows-{k}.parquet")
            client.upload_file(str(tmp_path / f"rows-{k}.parquet"), BUCKET, f"parts/rows-{k}.parquet")
        client.put_object(Bucket=BUCKET, Key="parts/README.txt", Body=b"not a part")
        env = {**local_env(tmp_path, PREDICTOR_METRICS_SINK="none"), **server_env(endpoint)}
        env = {k: v for k, v in env.items() if not k.startswith("MLFLOW_")} | {
            "PREDICTOR_MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"
        }

        trained = run(
            tmp_path, env, "train", "--engine", "dask", "--data", f"s3://{BUCKET}/parts/*.parquet",
            "--target", "diagnosis", "--register", "demo", "--promote", "production", "--no-plots", "-q",
        )  # fmt: skip
        assert trained.returncode == 0, trained.stderr
        assert "data: 569 rows" in trained.stdout

        scored = run(
            tmp_path, env, "predict", "--quiet", "--model", "models:/demo@production", "--engine", "dask",
            "--input", f"s3://{BUCKET}/parts/", "--output", f"s3://{BUCKET}/scores",
        )  # fmt: skip
        assert scored.returncode == 0, scored.stderr
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix="scores/")
        # pyarrow marks the folder it made with an empty "scores/" object, as S3 consoles do.
        keys = sorted(item["Key"] for item in listed.get("Contents", []) if not item["Key"].endswith("/"))
        assert keys == [f"scores/part.{k:05d}.parquet" for k in range(3)]
        client.download_file(BUCKET, "scores/part.00002.parquet", str(tmp_path / "last.parquet"))
        assert pq.read_table(tmp_path / "last.parquet").num_rows == table.num_rows - 400

        nothing = run(
            tmp_path, env, "train", "--engine", "dask", "--data", f"s3://{BUCKET}/nowhere/",
            "--target", "diagnosis",
        )  # fmt: skip
        assert nothing.returncode == 2, nothing.stderr
        assert f"error: s3://{BUCKET}/nowhere/ names no CSV or Parquet file" in nothing.stderr
