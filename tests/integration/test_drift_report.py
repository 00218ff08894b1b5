"""`predictor drift` end to end: a model trained and registered in MLflow (SQLite), captured
rows encoded with the model's own encoder (tests/capture_files.py writes the capture format),
the report flagging exactly the shifted features, logged to an MLflow run, and captured files
read from `s3://` on moto's server on 127.0.0.1; and the issue's journey: `predictor serve`
capturing the requests sent, then `predictor drift` on what it captured."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mlflow.tracking import MlflowClient

from predictor.adapters.files.manifests import read_manifest
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from tests.aws import fake_aws_env, moto_server, s3_client, server_env
from tests.capture_files import capture_table, write_capture
from tests.servers import free_port, local_env, run_cli, running

pytestmark = pytest.mark.integration

BUCKET = "predictor-captures"
FEATURES = ("age", "income", "score", "colour", "region")


def rows(
    count: int, seed: int, income: float = 1.0, colours: tuple[float, ...] = (0.5, 0.3, 0.2)
) -> list[dict[str, Any]]:
    """Generated rows; ``income`` scales the income, ``colours`` are red, green and blue's odds."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, count)
    earned = rng.lognormal(10, 0.5, count) * income
    score = rng.uniform(0, 1, count)
    colour = rng.choice(["red", "green", "blue"], count, p=colours)
    region = rng.choice(["north", "south"], count)
    signal = (age - 40) / 10 + (score - 0.5) * 2 + (colour == "red") - (region == "north") * 0.5
    label = np.where(signal + rng.normal(0, 0.5, count) > 0, "yes", "no")
    return [
        {"age": float(age[i]), "income": float(earned[i]), "score": None if i % 13 == 0 else float(score[i]),
         "colour": str(colour[i]), "region": str(region[i]), "label": str(label[i])}
        for i in range(count)
    ]  # fmt: skip


@dataclass(frozen=True)
class Trained:
    work: Path
    env: dict[str, str]
    exported: Path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """demo@production trained on 3000 generated rows, and exported (for its encoder and booster)."""
    work = tmp_path_factory.mktemp("drift")
    with (work / "train.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, [*FEATURES, "label"])
        writer.writeheader()
        writer.writerows(rows(3000, seed=1))
    env = local_env(work, PREDICTOR_METRICS_SINK="none")
    args = [
        "train",
        "--data",
        "train.csv",
        "--target",
        "label",
        "--register",
        "demo",
        "--promote",
        "production",
    ]
    trained = run_cli([*args, "--no-plots", "-q"], env, work)
    assert trained.returncode == 0, trained.stderr
    exported = run_cli(["export", "models:/demo@production", str(work / "exported")], env, work)
    assert exported.returncode == 0, exported.stderr
    return Trained(work, env, work / "exported")


def captured(trained: Trained, generated: list[dict[str, Any]], stamp: datetime | None = None) -> pa.Table:
    manifest = read_manifest(trained.exported)
    model = XGBoostRuntime().load(trained.exported)
    return capture_table(manifest, model, [{k: r[k] for k in FEATURES} for r in generated], stamp=stamp)


def drift(trained: Trained, *args: str, model: tuple[str, ...] = ()) -> tuple[int, str, dict[str, Any]]:
    """Run `predictor drift` on demo@production (or ``model``'s options); its code, output and report."""
    out = trained.work / "report"
    (out / "drift.json").unlink(missing_ok=True)
    chosen = model or ("--model", "models:/demo@production")
    done = run_cli(["drift", *chosen, *args, "--out", str(out)], trained.env, trained.work)
    report = json.loads((out / "drift.json").read_text()) if done.returncode in (0, 1) else {}
    return done.returncode, done.stdout + done.stderr, report


def test_rows_like_the_training_rows_do_not_drift(trained: Trained, tmp_path: Path) -> None:
    write_capture(captured(trained, rows(2000, seed=2)), tmp_path / "day=1" / "part-0.parquet")
    code, output, report = drift(trained, "--captured", str(tmp_path))
    assert code == 0, output
    assert report["flagged_features"] == []
    assert report["rows_compared"] == 2000
    assert "no drift" in output


def test_exactly_the_shifted_features_are_flagged_and_logged_to_mlflow(
    trained: Trained, tmp_path: Path
) -> None:
    write_capture(captured(trained, rows(1000, seed=3)), tmp_path / "a" / "part-0.parquet")
    shifted = rows(1000, seed=4, income=3.0, colours=(0.1, 0.2, 0.7))
    write_capture(captured(trained, shifted), tmp_path / "b" / "c" / "part-1.parquet")
    code, output, report = drift(trained, "--captured", str(tmp_path))
    assert code == 1, output
    assert set(report["flagged_features"]) == {"income", "colour"}
    assert "psi" in report["features"]["income"]["flags"]
    assert "shares" in report["features"]["colour"]["flags"]
    assert report["rows_compared"] == 2000
    client = MlflowClient(trained.env["PREDICTOR_MLFLOW_TRACKING_URI"])
    assert {a.path for a in client.list_artifacts(report["run_id"])} == {"drift.json", "drift.html"}
    run = client.get_run(report["run_id"])
    assert run.data.metrics["psi.income"] > 0.2
    assert run.data.tags["predictor.kind"] == "drift"


def test_since_leaves_the_older_shifted_rows_out_of_an_exported_models_report(
    trained: Trained, tmp_path: Path
) -> None:
    old = datetime.now(UTC) - timedelta(days=3)
    write_capture(captured(trained, rows(1000, seed=5, income=3.0), old), tmp_path / "old.parquet")
    write_capture(captured(trained, rows(1000, seed=6)), tmp_path / "new.parquet")
    exported = ("--model-dir", str(trained.exported))
    code, output, report = drift(trained, "--captured", str(tmp_path), "--since", "24h", model=exported)
    assert code == 0, output
    assert report["rows_compared"] == 1000


@pytest.fixture
def bad_capture(trained: Trained, tmp_path: Path) -> tuple[Path, pa.Table]:
    return tmp_path, captured(trained, rows(20, seed=7))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nothing", "no Parquet file under"),
        ("drop income", "has no column 'income'"),
        ("income as text", "features must be float64 (as encoded), but 'income' is string"),
        ("bad since", "'--since': 'yesterday' is neither an ISO 8601 time"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    trained: Trained, bad_capture: tuple[Path, pa.Table], change: str, message: str
) -> None:
    directory, table = bad_capture
    since: list[str] = []
    if change == "drop income":
        write_capture(table.drop_columns(["income"]), directory / "part.parquet")
    elif change == "income as text":
        texts = pa.array([str(v) for v in table.column("income").to_pylist()])
        write_capture(
            table.set_column(table.schema.get_field_index("income"), "income", texts),
            directory / "part.parquet",
        )
    elif change == "bad since":
        write_capture(table, directory / "part.parquet")
        since = ["--since", "yesterday"]
    code, output, _ = drift(trained, "--captured", str(directory), *since)
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1
    assert message in output
    assert "Traceback" not in output


def test_captured_files_in_s3(trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = captured(trained, rows(1500, seed=8, income=3.0))
    pq.write_table(table, tmp_path / "part.parquet")
    with moto_server(BUCKET) as endpoint:
        fake_aws_env(monkeypatch, endpoint)
        client = s3_client(endpoint)
        client.upload_file(str(tmp_path / "part.parquet"), BUCKET, "captures/demo/2026/12/03/part-0.parquet")
        client.put_object(Bucket=BUCKET, Key="captures/demo/README.txt", Body=b"not a capture")
        env = {**trained.env, **server_env(endpoint)}
        done = run_cli(
            ["drift", "--model", "models:/demo@production", "--captured", f"s3://{BUCKET}/captures/demo/",
             "--out", f"s3://{BUCKET}/reports/demo"], env, trained.work,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        client.download_file(BUCKET, "reports/demo/drift.json", str(tmp_path / "drift.json"))
        report = json.loads((tmp_path / "drift.json").read_text())
        assert report["flagged_features"] == ["income"]
        assert report["captured"] == f"s3://{BUCKET}/captures/demo/"
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix="reports/demo/")
        assert {item["Key"] for item in listed["Contents"]} == {
            "reports/demo/drift.json",
            "reports/demo/drift.html",
        }


API_KEY = "client-key-0123456789abcdef"


def serve_and_send(trained: Trained, captures: Path, generated: list[dict[str, Any]]) -> None:
    """`predictor serve` on the exported model, capturing to ``captures``; ``generated`` sent in
    requests of 100 rows; stopped (the writer writes what it holds)."""
    port = free_port()
    env = {**trained.env, "PREDICTOR_API_KEYS": API_KEY, "PREDICTOR_CAPTURE_URI": str(captures)}
    args = ["serve", "--port", str(port), "--model-dir", str(trained.exported)]
    with running(args, env, trained.work, port) as (url, _), httpx.Client(timeout=30) as client:
        for start in range(0, len(generated), 100):
            body = {"instances": [{k: r[k] for k in FEATURES} for r in generated[start : start + 100]]}
            answer = client.post(f"{url}/predict", json=body, headers={"X-API-Key": API_KEY})
            assert answer.status_code == 200, answer.text


def test_served_requests_captured_then_reported(trained: Trained, tmp_path: Path) -> None:
    """The issue's journey: serve, send rows like the training rows, then shifted rows."""
    exported = ("--model-dir", str(trained.exported))
    serve_and_send(trained, tmp_path / "like", rows(1500, seed=9))
    code, output, report = drift(trained, "--captured", str(tmp_path / "like" / "demo"), model=exported)
    assert code == 0, output
    assert report["rows_compared"] == 1500
    serve_and_send(trained, tmp_path / "shifted", rows(1500, seed=10, income=3.0, colours=(0.1, 0.2, 0.7)))
    code, output, report = drift(trained, "--captured", str(tmp_path / "shifted"), model=exported)
    assert code == 1, output
    assert set(report["flagged_features"]) == {"income", "colour"}
    assert report["captured_versions"] == ["1"]
