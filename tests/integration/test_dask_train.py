"""`predictor train --engine dask` on a LocalCluster of two worker processes: the same rows in
Parquet parts train to the single-process engine's checks, schema and metrics (within the
tolerance docs/scale.md states), the registered model serves over HTTP with the batch engine's
scores; tuning runs there; bad parts and an unreachable scheduler fail with one line, exit 2."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from distributed import Client
from sklearn.datasets import load_breast_cancer

from predictor.adapters.files.artifacts import local_path
from predictor.adapters.files.manifests import read_manifest
from predictor.config import load_settings
from predictor.container import build_container
from predictor.domain.manifest import ModelManifest
from predictor.domain.table import ReadOptions
from predictor.entrypoints.cli import cli
from predictor.services.training.pipeline import TrainingRequest
from tests.dask_cluster import two_workers
from tests.servers import PREDICTOR, free_port, local_env, running

pytestmark = pytest.mark.integration

API_KEY = "client-key-0123456789abcdef"
# Distributed hist bins the rows from the workers' merged sketches: the trees may differ a little.
ROC_AUC_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    with two_workers() as client:
        yield client


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Breast Cancer with a text target, a categorical column and gaps: whole and in 4 parts."""
    root = tmp_path_factory.mktemp("dask-train")
    frame = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(7)
    frame["diagnosis"] = np.where(frame.pop("target") == 1, "benign", "malignant")
    frame["clinic"] = rng.choice(["north", "south", "east"], len(frame))
    frame.loc[rng.random(len(frame)) < 0.05, "mean texture"] = np.nan
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, root / "whole.parquet")
    (root / "parts").mkdir()
    for k, (start, stop) in enumerate([(0, 150), (150, 151), (151, 400), (400, table.num_rows)]):
        pq.write_table(table.slice(start, stop - start), root / "parts" / f"rows-{k}.parquet")
    return root


def train(work: Path, *args: str) -> Result:
    env = local_env(work, PREDICTOR_METRICS_SINK="none")
    return CliRunner().invoke(cli, ["train", "--target", "diagnosis", "--no-plots", "-q", *args], env=env)


def error_line(result: Result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def test_the_cli_trains_on_a_local_cluster_and_the_registered_model_serves(work: Path) -> None:
    """No --scheduler: the command starts its own LocalCluster; then the model is served from
    the registry (no Dask there) and answers as the single-process batch engine scores."""
    env = local_env(work, PREDICTOR_METRICS_SINK="none")
    command = [*PREDICTOR, "train", "--engine", "dask", "--data", str(work / "parts" / "*.parquet")]
    command += ["--target", "diagnosis", "--register", "demo", "--promote", "production", "--no-plots", "-q"]
    trained = subprocess.run(
        command, env=env, cwd=work, capture_output=True, text=True, timeout=600, check=False
    )
    assert trained.returncode == 0, trained.stderr
    assert "features: 1 categorical, 30 numeric; target 'diagnosis' (binary)" in trained.stdout

    scored = CliRunner().invoke(
        cli,
        ["predict", "--quiet", "--model", "models:/demo@production", "--input", str(work / "whole.parquet"),
         "--output", str(work / "scored.parquet")],
        env=env,
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    rows = pq.read_table(work / "whole.parquet").drop_columns(["diagnosis"]).slice(0, 200).to_pylist()
    port = free_port()
    served_env = {**env, "PREDICTOR_API_KEYS": API_KEY}
    with running(["serve", "--port", str(port)], served_env, work, port) as (url, _):
        response = httpx.post(
            f"{url}/predict", json={"instances": rows}, headers={"X-API-Key": API_KEY}, timeout=60
        )
    assert response.status_code == 200, response.text
    batch = pq.read_table(work / "scored.parquet")
    served = response.json()["predictions"]
    assert [p["label"] for p in served] == batch.column("label").to_pylist()[:200]
    assert [p["probabilities"]["malignant"] for p in served] == batch.column(
        "probability_malignant"
    ).to_pylist()[:200]


def test_metrics_are_the_single_process_engines_within_tolerance(cluster: Client, work: Path) -> None:
    settings = load_settings(
        profile="test", mlflow_tracking_uri=f"sqlite:///{work / 'inprocess.db'}",
        artifact_root=str(work / "inprocess-artifacts"), cache_dir=work / "cache",
    )  # fmt: skip
    container = build_container(settings)
    read = ReadOptions(target="diagnosis")
    single = container.train_model()(
        TrainingRequest(dataset=str(work / "whole.parquet"), read=read, plots=False)
    )
    on = container.adapters.training_cluster(scheduler=str(cluster.scheduler_info()["address"]))
    parted = container.train_on_cluster(cluster=on)(
        TrainingRequest(dataset=str(work / "parts"), read=read, plots=False)
    )
    assert parted.report is not None
    assert single.report is not None
    assert parted.report.as_dict() == single.report.as_dict()
    assert parted.schema == single.schema
    assert abs(parted.metrics["roc_auc"] - single.metrics["roc_auc"]) <= ROC_AUC_TOLERANCE
    assert parted.evaluation is not None
    assert len(parted.evaluation.truth) == len(single.evaluation.truth)  # type: ignore[union-attr]
    # The workers' training rows give the reference profile the whole table gives.
    single_reference, parted_reference = (logged_manifest(o.source).reference for o in (single, parted))
    assert single_reference is not None
    assert parted_reference is not None
    assert parted_reference.features == single_reference.features
    assert parted_reference.rows == single_reference.rows


def logged_manifest(source: str) -> ModelManifest:
    """The manifest of a model logged under a local artifact root."""
    return read_manifest(local_path(source))


def test_tuning_runs_its_trials_on_the_cluster(cluster: Client, work: Path) -> None:
    address = str(cluster.scheduler_info()["address"])
    result = train(
        work, "--engine", "dask", "--scheduler", address, "--data", str(work / "parts"), "--trials", "2"
    )
    assert result.exit_code == 0, result.output
    assert "tuning: 2 trials" in result.output or "trials" in result.output


def test_a_part_without_a_column_is_named_with_exit_code_2(cluster: Client, work: Path) -> None:
    bad = work / "bad-parts"
    bad.mkdir()
    for source in sorted((work / "parts").glob("*.parquet")):
        table = pq.read_table(source)
        if source.name == "rows-2.parquet":
            table = table.drop_columns(["mean radius"])
        pq.write_table(table, bad / source.name)
    address = str(cluster.scheduler_info()["address"])
    result = train(work, "--engine", "dask", "--scheduler", address, "--data", str(bad / "*.parquet"))
    assert result.exit_code == 2, result.output
    assert error_line(result) == (
        "error: rows-2.parquet: its columns differ from rows-0.parquet's: no column 'mean radius'"
    )


def test_an_unreachable_scheduler_is_named_with_exit_code_2(work: Path) -> None:
    address = f"tcp://127.0.0.1:{free_port()}"
    result = train(work, "--engine", "dask", "--scheduler", address, "--data", str(work / "parts"))
    assert result.exit_code == 2, result.output
    assert error_line(result).startswith(f"error: cannot reach the Dask scheduler at {address} within ")
