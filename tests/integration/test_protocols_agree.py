"""One real model (trained with the CLI on data with a categorical and a missing-value column,
registered in MLflow, served by `predictor serve`), the same rows through every protocol:
/predict, /invocations (JSON and CSV), /v2 infer (tensor per feature and one matrix) and the
batch CLI (CSV and Parquet) give the same numbers; MLflow's own pyfunc agrees; explanations
add up to XGBoost's margin."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import mlflow.pyfunc
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xgboost

from predictor.adapters.files.manifests import read_manifest
from predictor.adapters.memory import synthetic_table
from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.schema import FeatureKind
from tests.servers import free_port, local_env, run_cli, running

pytestmark = pytest.mark.integration

API_KEY = "integration-key-0123456789"
AUTH = {"X-API-Key": API_KEY}
NAMES = ["x1", "x2", "colour"]


@dataclass
class Served:
    url: str
    workdir: Path
    env: dict[str, str]
    rows: list[dict[str, Any]]
    model_dir: Path

    def post(self, path: str, **kwargs: Any) -> Any:
        response = httpx.post(
            f"{self.url}{path}", headers={**AUTH, **kwargs.pop("headers", {})}, timeout=30, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()


def write_csv(path: Path, columns: Mapping[str, Sequence[Any]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(columns))
        for values in zip(*columns.values(), strict=True):
            writer.writerow(["" if v is None else v for v in values])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("protocols")
    env = local_env(workdir, PREDICTOR_API_KEYS=API_KEY)
    write_csv(workdir / "train.csv", dict(synthetic_table(rows=600, seed=3).columns))
    trained = run_cli(
        [
            "train",
            "--data",
            "train.csv",
            "--target",
            "label",
            "--register",
            "demo",
            "--promote",
            "production",
        ],
        env,
        workdir,
    )
    assert trained.returncode == 0, trained.stderr
    held_out = synthetic_table(rows=40, seed=9).columns
    rows = [{n: held_out[n][i] for n in NAMES} for i in range(40)]
    rows[3]["colour"] = "violet"  # never seen in training: missing, in every protocol
    port = free_port()
    with running(["serve", "--port", str(port)], env, workdir, port) as (url, _):
        (booster_file,) = (workdir / "cache").rglob("model.ubj")
        yield Served(url, workdir, env, rows, booster_file.parent)


@pytest.fixture(scope="module")
def reference(served: Served) -> dict[str, list[Any]]:
    """/predict's answer: P(yes) and the label per row."""
    predictions = served.post("/predict", json={"instances": served.rows})["predictions"]
    return {"p": [p["probabilities"]["yes"] for p in predictions], "label": [p["label"] for p in predictions]}


def test_invocations_json_and_csv_give_predict_numbers(
    served: Served, reference: dict[str, list[Any]]
) -> None:
    split = {"dataframe_split": {"columns": NAMES, "data": [[r[n] for n in NAMES] for r in served.rows]}}
    text = io.StringIO()
    write_csv_rows = csv.writer(text)
    write_csv_rows.writerow(NAMES)
    write_csv_rows.writerows([["" if r[n] is None else r[n] for n in NAMES] for r in served.rows])

    assert served.post("/invocations", json=split)["predictions"] == reference["p"]
    assert (
        served.post("/invocations", json={"dataframe_records": served.rows})["predictions"] == reference["p"]
    )
    from_csv = served.post(
        "/invocations", content=text.getvalue().encode(), headers={"Content-Type": "text/csv"}
    )
    assert from_csv["predictions"] == reference["p"]


def test_mlflow_pyfunc_agrees_with_invocations(served: Served, reference: dict[str, list[Any]]) -> None:
    """What `mlflow models serve` would answer: MLflow's pyfunc on the encoded features its
    signature describes (category codes, missing as NaN)."""
    manifest = read_manifest(served.model_dir)
    matrix = RowEncoder(manifest.schema).encode(served.rows).matrix
    frame = pd.DataFrame(matrix.astype(np.float64), columns=list(manifest.schema.names))
    pyfunc = np.asarray(mlflow.pyfunc.load_model(str(served.model_dir)).predict(frame), dtype=np.float64)
    np.testing.assert_allclose(pyfunc, reference["p"], rtol=0, atol=1e-7)


def test_v2_infer_gives_predict_numbers(served: Served, reference: dict[str, list[Any]]) -> None:
    metadata = httpx.get(f"{served.url}/v2/models/demo", headers=AUTH, timeout=30).json()
    (colour,) = [i for i in metadata["inputs"] if i["name"] == "colour"]
    codes = {c: i for i, c in enumerate(colour["parameters"]["categories"])}
    n = len(served.rows)
    per_feature = [
        {"name": "x1", "shape": [n], "datatype": "FP32", "data": [r["x1"] for r in served.rows]},
        {"name": "x2", "shape": [n, 1], "datatype": "FP32", "data": [[r["x2"]] for r in served.rows]},
        {"name": "colour", "shape": [n], "datatype": "BYTES", "data": [r["colour"] for r in served.rows]},
    ]
    flat = [v for r in served.rows for v in (r["x1"], r["x2"], codes.get(r["colour"]))]
    matrix = [{"name": "input-0", "shape": [n, 3], "datatype": "FP32", "data": flat}]

    for inputs in (per_feature, matrix):
        answer = served.post("/v2/models/demo/infer", json={"inputs": inputs})
        outputs = {o["name"]: o for o in answer["outputs"]}
        assert outputs["label"]["data"] == reference["label"]
        assert outputs["probabilities"]["data"][1::2] == reference["p"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_batch_cli_gives_predict_numbers(
    served: Served, reference: dict[str, list[Any]], suffix: str
) -> None:
    source = served.workdir / f"rows{suffix}"
    columns = {"id": list(range(len(served.rows))), **{n: [r[n] for r in served.rows] for n in NAMES}}
    if suffix == ".csv":
        write_csv(source, columns)
    else:
        pq.write_table(pa.table(columns), source)
    output = served.workdir / f"out{suffix}.parquet"

    result = run_cli(
        [
            "predict",
            "--model",
            "models:/demo@production",
            "--input",
            source.name,
            "--output",
            output.name,
            "--keep-columns",
            "id",
            "--chunk-rows",
            "7",
        ],
        served.env,
        served.workdir,
    )

    assert result.returncode == 0, result.stderr
    assert f"predicted 40 rows of {source.name} with demo version 1" in result.stdout
    table = pq.read_table(output).to_pydict()
    assert list(table) == ["id", "label", "probability_no", "probability_yes"]
    assert table["id"] == ([str(i) for i in range(40)] if suffix == ".csv" else list(range(40)))
    assert table["probability_yes"] == reference["p"]
    assert table["label"] == reference["label"]


def test_explanations_add_up_to_the_xgboost_margin(served: Served) -> None:
    answer = served.post("/v1/explain", json={"instances": served.rows})["explanations"]
    manifest = read_manifest(served.model_dir)
    matrix = RowEncoder(manifest.schema).encode(served.rows).matrix
    types = ["c" if f.kind is FeatureKind.CATEGORICAL else "q" for f in manifest.schema.features]
    booster = xgboost.Booster(model_file=str(served.model_dir / manifest.booster_file))
    margin = booster.predict(
        xgboost.DMatrix(matrix, feature_types=types, enable_categorical=True), output_margin=True
    )

    sums = [sum(e["contributions"].values()) + e["base_value"] for e in answer]
    np.testing.assert_allclose(sums, margin, rtol=0, atol=1e-4)
    np.testing.assert_allclose([e["margin"] for e in answer], margin, rtol=0, atol=1e-4)
    assert all(list(e["contributions"]) == NAMES for e in answer)
