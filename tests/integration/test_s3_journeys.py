"""S3 wherever a path goes, as a user runs it: `predictor` subprocesses against moto's S3 on a
loopback port. Train from an s3:// CSV into a staging registry whose artifacts are in one
bucket, copy the version into a production registry and another bucket (`models copy`),
predict s3:// -> s3:// with both and get the same predictions, export to s3://; and the
faults: a missing bucket, an unreachable endpoint, each one line, an exit code, nothing written."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sklearn.datasets import load_breast_cancer

from predictor.adapters.mlflow.registry import MlflowModelRegistry
from predictor.domain.model import ModelRef
from predictor.services.registry.copy import COPIED_FROM_TAG
from tests.aws import moto_server, s3_client, server_env
from tests.servers import clean_env, free_port, run_cli

pytestmark = pytest.mark.integration

DATA, STAGING, PRODUCTION = "predictor-data", "staging-models", "prod-models"


@dataclass
class Journey:
    workdir: Path
    endpoint: str
    staging_uri: str
    production_uri: str
    copied: Any  # the first copy's CompletedProcess

    def env(self, **extra: str) -> dict[str, str]:
        env = {**clean_env(), **server_env(self.endpoint)}
        env = {k: v for k, v in env.items() if not k.startswith(("PREDICTOR_", "MLFLOW_"))}
        return {
            **env,
            "MLFLOW_S3_ENDPOINT_URL": self.endpoint,  # MLflow's own S3 client reads this one
            "PREDICTOR_PROFILE": "test",
            "PREDICTOR_CACHE_DIR": str(self.workdir / "cache"),
            **extra,
        }

    def cli(self, *args: str, **extra: str) -> Any:
        return run_cli(list(args), self.env(**extra), self.workdir)

    def copy(self) -> Any:
        return self.cli(
            "models", "copy", "models:/demo@production", "models:/demo",
            "--from-tracking-uri", self.staging_uri,
            "--to-tracking-uri", self.production_uri,
            "--to-artifacts", f"s3://{PRODUCTION}/predictor",
        )  # fmt: skip


def objects(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    """The keys under ``prefix``, without the empty ``folder/`` markers pyarrow leaves."""
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed if not item["Key"].endswith("/"))


def parquet(endpoint: str, bucket: str, key: str) -> Any:
    return pq.read_table(io.BytesIO(s3_client(endpoint).get_object(Bucket=bucket, Key=key)["Body"].read()))


@pytest.fixture(scope="module")
def journey(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[Journey]:
    workdir = tmp_path_factory.mktemp("s3")
    with moto_server(DATA, STAGING, PRODUCTION) as endpoint:
        for name, value in server_env(endpoint).items():
            if name.startswith("AWS_"):
                monkeypatch_module.setenv(name, value)  # this process's boto3, for checking
        frame = load_breast_cancer(as_frame=True).frame
        client = s3_client(endpoint)
        client.put_object(Bucket=DATA, Key="train/cancer.csv", Body=frame.to_csv(index=False).encode())
        rows = frame.drop(columns=["target"]).head(300)
        client.put_object(Bucket=DATA, Key="rows/rows.csv", Body=rows.to_csv(index=False).encode())
        staging = f"sqlite:///{workdir / 'staging.db'}"
        journey = Journey(workdir, endpoint, staging, f"sqlite:///{workdir / 'prod.db'}", None)
        trained = journey.cli(
            "train", "--data", f"s3://{DATA}/train/cancer.csv", "--target", "target",
            "--register", "demo", "--promote", "production",
            PREDICTOR_MLFLOW_TRACKING_URI=staging,
            PREDICTOR_ARTIFACT_ROOT=f"s3://{STAGING}/mlflow",
        )  # fmt: skip
        assert trained.returncode == 0, trained.stderr
        journey.copied = journey.copy()
        yield journey


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_training_read_s3_and_logged_its_artifacts_in_the_staging_bucket(journey: Journey) -> None:
    staged = objects(journey.endpoint, STAGING, "mlflow/")
    assert any(key.endswith("/model/manifest.json") for key in staged), staged


def test_a_copy_lands_in_the_other_registry_and_bucket_with_its_lineage(journey: Journey) -> None:
    assert journey.copied.returncode == 0, journey.copied.stderr
    original = MlflowModelRegistry(journey.staging_uri).resolve(ModelRef("demo", alias="production"))
    copied = MlflowModelRegistry(journey.production_uri).resolve(ModelRef("demo", version="1"))
    assert copied.tags[COPIED_FROM_TAG] == f"{journey.staging_uri}#demo/{original.version}"
    assert copied.source.startswith(f"s3://{PRODUCTION}/predictor/demo/")
    assert copied.metrics == original.metrics
    assert copied.metrics["test_roc_auc"] > 0.9
    key = copied.source.removeprefix(f"s3://{PRODUCTION}/")
    assert {"manifest.json", "model.ubj", "MLmodel"} <= {
        k.rsplit("/", 1)[-1] for k in objects(journey.endpoint, PRODUCTION, key)
    }


def test_copying_again_does_nothing(journey: Journey) -> None:
    before = objects(journey.endpoint, PRODUCTION)
    again = journey.copy()
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout
    assert [v.version for v in MlflowModelRegistry(journey.production_uri).list_versions("demo")] == ["1"]
    assert objects(journey.endpoint, PRODUCTION) == before


def test_both_registries_predict_the_same_from_s3_to_s3(journey: Journey) -> None:
    for uri, ref, out in (
        (journey.staging_uri, "models:/demo@production", "staging.parquet"),
        (journey.production_uri, "models:/demo/1", "production.parquet"),
    ):
        run = journey.cli(
            "predict", "--model", ref, "--input", f"s3://{DATA}/rows/rows.csv",
            "--output", f"s3://{DATA}/out/{out}", "--quiet",
            PREDICTOR_MLFLOW_TRACKING_URI=uri,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert "predicted 300 rows of rows.csv" in run.stdout
    staging = parquet(journey.endpoint, DATA, "out/staging.parquet")
    production = parquet(journey.endpoint, DATA, "out/production.parquet")
    assert staging.num_rows == 300
    assert staging.equals(production)
    assert objects(journey.endpoint, DATA, "out/") == ["out/production.parquet", "out/staging.parquet"]


def test_an_export_goes_to_s3_whole(journey: Journey) -> None:
    target = f"s3://{PRODUCTION}/exports/demo-1"
    run = journey.cli(
        "export", "models:/demo/1", target, PREDICTOR_MLFLOW_TRACKING_URI=journey.production_uri
    )
    assert run.returncode == 0, run.stderr
    names = objects(journey.endpoint, PRODUCTION, "exports/demo-1/")
    assert "exports/demo-1/version.json" in names
    assert "exports/demo-1/manifest.json" in names


def test_a_missing_bucket_is_one_line_exit_2_and_nothing_written(journey: Journey) -> None:
    run = journey.cli(
        "predict", "--model", "models:/demo/1", "--input", f"s3://{DATA}/rows/rows.csv",
        "--output", "s3://no-such-bucket-here/out.parquet", "--quiet",
        PREDICTOR_MLFLOW_TRACKING_URI=journey.production_uri,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    # The model's load is logged on stderr first; the error is the last line, and the only one.
    errors = [line for line in run.stderr.splitlines() if "error" in line.lower()]
    assert errors == ["error: s3://no-such-bucket-here/out.parquet: the bucket does not exist"]
    missing_input = journey.cli(
        "predict", "--model", "models:/demo/1", "--input", f"s3://{DATA}/rows/none.csv",
        "--output", f"s3://{DATA}/out/none.parquet", "--quiet",
        PREDICTOR_MLFLOW_TRACKING_URI=journey.production_uri,
    )  # fmt: skip
    assert missing_input.returncode == 2
    assert "no such file: s3://predictor-data/rows/none.csv" in missing_input.stderr
    assert "out/none.parquet" not in " ".join(objects(journey.endpoint, DATA, "out/"))


def test_a_copy_to_a_missing_bucket_registers_nothing(journey: Journey) -> None:
    target = f"sqlite:///{journey.workdir / 'empty.db'}"
    run = journey.cli(
        "models", "copy", "models:/demo@production", "demo",
        "--from-tracking-uri", journey.staging_uri, "--to-tracking-uri", target,
        "--to-artifacts", "s3://no-such-bucket-here/predictor",
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "the bucket 'no-such-bucket-here' does not exist" in run.stderr
    assert "Traceback" not in run.stderr
    assert MlflowModelRegistry(target).list_models() == []


def test_an_unreachable_endpoint_is_exit_4(journey: Journey, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    run = journey.cli(
        "predict", "--model", "models:/demo/1", "--input", f"s3://{DATA}/rows/rows.csv",
        "--output", str(tmp_path / "out.parquet"), "--quiet",
        PREDICTOR_MLFLOW_TRACKING_URI=journey.production_uri, AWS_ENDPOINT_URL=closed,
    )  # fmt: skip  # the model still comes from moto (MLFLOW_S3_ENDPOINT_URL); the rows cannot
    assert run.returncode == 4, run.stderr
    errors = [line for line in run.stderr.splitlines() if "error" in line.lower()]
    assert errors == [f"error: S3 cannot be reached for s3://{DATA}/rows/rows.csv"]
    assert not (tmp_path / "out.parquet").exists()
