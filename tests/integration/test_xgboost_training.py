"""Real training: bundled data -> XGBoost -> MLflow (temporary SQLite store) -> registry ->
downloaded directory -> XGBoostRuntime, checked against the booster's own predictions."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit
from urllib.request import url2pathname

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
import xgboost
from mlflow import MlflowClient
from mlflow.models import Model

from predictor.adapters.files.cache import LocalModelCache
from predictor.adapters.memory import InMemoryDatasetSource, synthetic_table
from predictor.adapters.mlflow.registry import MlflowModelRegistry
from predictor.adapters.mlflow.tracking import MlflowExperimentTracker
from predictor.adapters.sklearn.datasets import LocalDatasetSource
from predictor.adapters.system.clock import SystemClock
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.encoding.rows import RowEncoder
from predictor.domain.model import ModelRef
from predictor.domain.ports import DatasetSource
from predictor.domain.schema import FeatureKind
from predictor.domain.table import Table
from predictor.services.registry.promotion import PromoteModel
from predictor.services.serving.loading import LoadModel, ModelSlot
from predictor.services.training.pipeline import TrainingOutcome, TrainingRequest, TrainModel, encode_columns

pytestmark = pytest.mark.integration


@dataclass
class Store:
    uri: str
    root: Path
    registry: MlflowModelRegistry

    def train(self, datasets: DatasetSource, request: TrainingRequest) -> TrainingOutcome:
        tracker = MlflowExperimentTracker(self.uri, str(self.root / "mlartifacts"))
        promote = PromoteModel(self.registry, SystemClock())
        return TrainModel(datasets, XGBoostTrainer(), tracker, self.registry, promote=promote)(request)

    def logged_booster_bytes(self, run_id: str) -> bytes:
        artifacts = MlflowClient(tracking_uri=self.uri).get_run(run_id).info.artifact_uri
        return (Path(url2pathname(urlsplit(artifacts).path)) / "model" / "model.ubj").read_bytes()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root}/mlflow.db"
    return Store(uri, root, MlflowModelRegistry(uri))


@pytest.fixture(scope="module")
def breast_cancer(store: Store) -> TrainingOutcome:
    request = TrainingRequest(dataset="breast-cancer", register_as="breast-cancer", promote_to="production")
    return store.train(LocalDatasetSource(), request)


def booster_predictions(directory: Path, matrix: np.ndarray, categorical: list[bool]) -> np.ndarray:
    """What XGBoost itself answers, through a DMatrix, for the booster file in ``directory``."""
    booster = xgboost.Booster(model_file=str(directory / "model.ubj"))
    types = ["c" if is_categorical else "q" for is_categorical in categorical]
    return np.asarray(booster.predict(xgboost.DMatrix(matrix, feature_types=types, enable_categorical=True)))


def test_breast_cancer_is_tracked_registered_promoted_and_served(
    store: Store, breast_cancer: TrainingOutcome, tmp_path: Path
) -> None:
    assert breast_cancer.metrics["roc_auc"] > 0.95
    run = MlflowClient(tracking_uri=store.uri).get_run(breast_cancer.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["test_roc_auc"] > 0.95
    assert {"test_accuracy", "test_log_loss"} <= set(run.data.metrics)
    assert run.data.params["dataset"] == "breast-cancer"
    assert run.data.tags["predictor.versions.xgboost"] == xgboost.__version__
    assert "predictor.versions.mlflow" in run.data.tags

    assert breast_cancer.version is not None
    assert breast_cancer.version.version == "1"
    assert breast_cancer.alias == "production"
    version = store.registry.resolve(ModelRef.parse("breast-cancer@production"))
    assert version.version == "1"
    assert version.metrics["test_roc_auc"] == run.data.metrics["test_roc_auc"]

    directory = store.registry.download(version, tmp_path)
    model = XGBoostRuntime().load(directory)
    table = LocalDatasetSource().load("breast-cancer")
    matrix = encode_columns(model.manifest.schema, table.columns)
    served = model.predict(matrix)
    assert served.shape == (table.rows,)
    np.testing.assert_array_equal(served, booster_predictions(directory, matrix, [False] * matrix.shape[1]))
    # A small batch goes to the single-threaded handle; it answers identically.
    np.testing.assert_array_equal(model.predict(matrix[:10]), served[:10])


def test_the_logged_directory_is_a_valid_mlflow_model(store: Store, tmp_path: Path) -> None:
    """What `mlflow models serve -m models:/breast-cancer/1 --env-manager local` loads."""
    version = store.registry.resolve(ModelRef.parse("breast-cancer/1"))
    directory = store.registry.download(version, tmp_path)
    assert json.loads((directory / "manifest.json").read_text())["booster_file"] == "model.ubj"

    # MLflow's annotation says str | None; a DataFrame example loads back as a DataFrame.
    example = cast("pd.DataFrame", Model.load(str(directory)).load_input_example(str(directory)))
    pyfunc = mlflow.pyfunc.load_model(str(directory))
    assert list(pyfunc.metadata.get_input_schema().input_names()) == list(example.columns)
    model = XGBoostRuntime().load(directory)
    rows = RowEncoder(model.manifest.schema).encode(list(model.manifest.input_example)).matrix
    np.testing.assert_allclose(np.asarray(pyfunc.predict(example)), model.predict(rows), rtol=0, atol=1e-7)


def test_the_same_seed_gives_the_same_metrics_and_identical_model_bytes(
    store: Store, breast_cancer: TrainingOutcome
) -> None:
    again = store.train(LocalDatasetSource(), TrainingRequest(dataset="breast-cancer"))
    assert again.run_id != breast_cancer.run_id
    assert again.metrics == breast_cancer.metrics
    assert store.logged_booster_bytes(again.run_id) == store.logged_booster_bytes(breast_cancer.run_id)


def test_categorical_features_round_trip_through_the_registry(store: Store, tmp_path: Path) -> None:
    table: Table = synthetic_table(rows=400, seed=5)
    request = TrainingRequest(dataset="synthetic", register_as="synthetic", promote_to="production")
    outcome = store.train(InMemoryDatasetSource({"synthetic": table}), request)
    assert outcome.metrics["roc_auc"] > 0.9

    version = store.registry.resolve(ModelRef.parse("synthetic@production"))
    directory = store.registry.download(version, tmp_path)
    model = XGBoostRuntime().load(directory)
    schema = model.manifest.schema
    categorical = [f.kind is FeatureKind.CATEGORICAL for f in schema.features]
    assert categorical == [name == "colour" for name in schema.names]

    booster = xgboost.Booster(model_file=str(directory / "model.ubj"))
    assert booster.feature_types == ["c" if c else "q" for c in categorical]
    colour = f"f{schema.names.index('colour')}"
    trees = [json.loads(tree) for tree in booster.get_dump(dump_format="json")]
    assert any(_has_category_split(tree, colour) for tree in trees), "colour is never split as a category"

    matrix = encode_columns(schema, table.columns)
    assert np.isnan(matrix).any()  # missing values travel as NaN
    served = model.predict(matrix)
    np.testing.assert_array_equal(served, booster_predictions(directory, matrix, categorical))

    # The synthetic label is yes when 2 x1 - x2 + 1.5 [colour is red] > 0.
    rows = [
        {"x1": -0.3, "x2": 0.0, "colour": "red"},
        {"x1": -0.3, "x2": 0.0, "colour": "blue"},
        {"x1": -0.3, "x2": None, "colour": None},
    ]
    red, blue, unknown = model.predict(RowEncoder(schema).encode(rows).matrix)
    assert schema.target.labels == ("no", "yes")
    assert red > 0.5 > blue
    assert 0.0 <= unknown <= 1.0


def test_serving_loads_through_the_cache_and_falls_back_to_it_when_the_registry_is_down(
    store: Store, breast_cancer: TrainingOutcome, tmp_path: Path
) -> None:
    ref = ModelRef.parse("breast-cancer@production")
    cache_root = tmp_path / "cache"
    online = LoadModel(store.registry, XGBoostRuntime(), LocalModelCache(cache_root), ModelSlot())(ref)
    assert (online.origin, online.version.version) == ("registry", "1")

    down = MlflowModelRegistry(f"http://127.0.0.1:{_closed_port()}")
    started = time.monotonic()
    restarted = LoadModel(down, XGBoostRuntime(), LocalModelCache(cache_root), ModelSlot())(ref)
    assert time.monotonic() - started < 5
    assert (restarted.origin, restarted.version) == ("cache", online.version)
    rows = list(restarted.model.manifest.input_example)
    np.testing.assert_array_equal(
        restarted.model.predict(restarted.encoder.encode(rows).matrix),
        online.model.predict(online.encoder.encode(rows).matrix),
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _has_category_split(node: dict[str, object], feature: str) -> bool:
    """A categorical split lists categories (a list) as its condition, not a threshold."""
    if node.get("split") == feature and isinstance(node.get("split_condition"), list):
        return True
    children = node.get("children", [])
    return isinstance(children, list) and any(_has_category_split(child, feature) for child in children)
