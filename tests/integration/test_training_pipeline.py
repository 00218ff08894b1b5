"""The training pipeline on real XGBoost, Optuna, matplotlib and MLflow (temporary SQLite store):
messy CSV in, checks, preprocessing, tuning as nested runs, plots, registry, promotion, and the
HTTP service answering a raw row exactly as the training-side pipeline does."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import numpy as np
import pytest
from click.testing import CliRunner
from dependency_injector import providers
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from predictor.adapters.matplotlib.plots import MatplotlibReportRenderer
from predictor.adapters.memory import (
    InMemoryDatasetSource,
    InMemoryExperimentTracker,
    InMemoryModelRegistry,
    StaticSecretStore,
    synthetic_table,
)
from predictor.adapters.mlflow.registry import MlflowModelRegistry
from predictor.adapters.mlflow.tracking import MlflowExperimentTracker
from predictor.adapters.optuna.tuner import PRUNER_PATIENCE_ROUNDS, OptunaTuner
from predictor.adapters.sklearn.datasets import LocalDatasetSource
from predictor.adapters.system.clock import SystemClock
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.config import API_KEYS_SECRET, load_settings
from predictor.container import build_container
from predictor.domain.model import ModelRef
from predictor.domain.ports import DatasetSource
from predictor.domain.search import TrialState, TuningBudget
from predictor.entrypoints.cli import cli
from predictor.entrypoints.http.app import create_app
from predictor.services.registry.promotion import PromoteModel
from predictor.services.training.pipeline import TrainingOutcome, TrainingRequest, TrainModel
from predictor.services.training.tabular import encode_columns
from tests.messy import write_messy_csv

pytestmark = pytest.mark.integration
API_KEY = "pipeline-key-0123456789"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    for name, value in {
        "PREDICTOR_MLFLOW_TRACKING_URI": uri,
        "PREDICTOR_ARTIFACT_ROOT": str(tmp_path / "mlartifacts"),
        "PREDICTOR_CACHE_DIR": str(tmp_path / "cache"),
        "PREDICTOR_PROFILE": "test",
        "PREDICTOR_RELOAD_INTERVAL_S": "0",
    }.items():
        monkeypatch.setenv(name, value)
    return uri


def train(uri: str, root: Path, datasets: DatasetSource, request: TrainingRequest) -> TrainingOutcome:
    registry = MlflowModelRegistry(uri)
    tracker = MlflowExperimentTracker(uri, str(root / "mlartifacts"))
    use_case = TrainModel(
        datasets,
        XGBoostTrainer(),
        tracker,
        registry,
        XGBoostRuntime(),
        OptunaTuner(),
        MatplotlibReportRenderer(),
        PromoteModel(registry, SystemClock()),
    )
    return use_case(request)


def artifact_dir(uri: str, run_id: str) -> Path:
    location = MlflowClient(tracking_uri=uri).get_run(run_id).info.artifact_uri
    return Path(url2pathname(urlsplit(location).path))


def test_a_messy_csv_is_served_exactly_as_the_training_pipeline_predicts(
    store: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    duplicate = ["40", "30.00", "red", "Oslo", "1", "yes"]
    data = write_messy_csv(tmp_path / "messy.csv", rows=400, extra=[duplicate, duplicate])
    result = CliRunner().invoke(
        cli,
        ["train", "--data", str(data), "--target", "label", "--missing", "median", "--scale",
         "--register", "messy", "--promote", "production", "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "registered messy version 1" in result.output
    assert "roc_auc" in result.output
    assert "column 'constant' is constant" in result.output  # a warning, and training went on
    assert "rows are exact duplicates" in result.output

    container = build_container(load_settings(model_name="messy"))
    container.adapters.secrets.override(providers.Object(StaticSecretStore({API_KEYS_SECRET: [API_KEY]})))
    rows: list[dict[str, object]] = [
        {"age": 40.0, "income": None, "colour": "purple", "city": "Oslo", "constant": 1.0},  # unseen colour
        {"age": 70.0, "income": 55.5, "colour": None, "city": None, "constant": None},
        {"age": 20.0, "income": 12.0, "colour": "red", "city": "Lima", "constant": 1.0},
    ]
    with (
        caplog.at_level(logging.INFO, logger="predictor.services.serving.prediction"),
        TestClient(create_app(container)) as client,
    ):
        response = client.post("/predict", json={"instances": rows}, headers={"X-API-Key": API_KEY})
    assert response.status_code == 200, response.text
    served = [p["probabilities"]["yes"] for p in response.json()["predictions"]]
    unseen = [r for r in caplog.records if "never seen in training" in r.getMessage()]
    assert unseen
    assert unseen[0].__dict__["features"] == ["colour"]

    registry = MlflowModelRegistry(store)
    model = XGBoostRuntime().load(
        registry.download(registry.resolve(ModelRef.parse("messy@production")), tmp_path)
    )
    schema = model.manifest.schema
    assert schema.preprocessing.missing.value == "median"
    assert schema.preprocessing.scaling
    columns = {name: [row[name] for row in rows] for name in schema.names}
    expected = model.predict(encode_columns(schema, columns))
    np.testing.assert_array_equal(np.asarray(served, dtype=np.float32), expected.astype(np.float32))


def test_failing_checks_exit_2_with_one_line_per_problem(store: str, tmp_path: Path) -> None:
    data = tmp_path / "tiny.csv"
    data.write_text(
        "a,leak,y\n" + "\n".join(f"{i},{'p' if i % 2 else 'q'},{'p' if i % 2 else 'q'}" for i in range(12))
    )
    result = CliRunner().invoke(cli, ["train", "--data", str(data), "--target", "y"])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: only 12 rows have a target value; training needs at least 20",
        "error: column 'leak' is the target in disguise (identical to it, value for value): leakage; "
        "drop it with --drop 'leak'",
    ]
    assert "Traceback" not in result.output


def test_cv_folds_on_the_command_line_reach_the_tuning_run(store: str) -> None:
    args = ["train", "--dataset", "wine", "--trials", "2", "--cv-folds", "3", "--no-plots", "--quiet"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    client = MlflowClient(tracking_uri=store)
    (experiment,) = [e for e in client.search_experiments() if e.name == "predictor"]
    (run,) = client.search_runs([experiment.experiment_id], "tags.mlflow.runName = 'tune-wine'")
    assert run.data.params["tuning_cv_folds"] == "3"


def test_tuning_is_nested_reproducible_to_the_byte_and_fully_logged(store: str, tmp_path: Path) -> None:
    datasets = InMemoryDatasetSource({"synthetic": synthetic_table(rows=400, seed=2)})
    request = TrainingRequest(dataset="synthetic", tuning=TuningBudget(trials=6), seed=11)
    first = train(store, tmp_path, datasets, request)
    second = train(store, tmp_path, datasets, request)
    assert first.tuning is not None
    assert second.tuning is not None
    assert first.tuning.best.params == second.tuning.best.params
    assert first.metrics == second.metrics
    first_dir, second_dir = artifact_dir(store, first.run_id), artifact_dir(store, second.run_id)
    assert (first_dir / "model" / "model.ubj").read_bytes() == (
        second_dir / "model" / "model.ubj"
    ).read_bytes()

    client = MlflowClient(tracking_uri=store)
    run = client.get_run(first.run_id)
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{first.run_id}'", max_results=50
    )
    assert len(children) == 6
    assert {c.data.tags["predictor.trial.state"] for c in children} <= {"complete", "pruned"}
    assert len(client.get_metric_history(first.run_id, "valid_logloss")) > 1
    assert {"test_roc_auc", "test_f1", "tuning_best_valid_logloss"} <= set(run.data.metrics)
    assert run.data.params["tuning_cv_folds"] == "5"
    # The refit boosts for as many rounds as the best round of the best trial's mean CV curve.
    curve = first.tuning.best.history["logloss"]
    assert run.data.params["num_boost_round"] == str(int(np.argmin(curve)) + 1)
    assert run.data.tags["predictor.versions.optuna"]
    assert run.data.tags["mlflow.source.git.commit"]
    assert len(run.data.tags["predictor.data_fingerprint"]) == 64
    for name in ("data_checks.json", "feature_importance.json", "evaluation.json", "tuning.json"):
        assert (first_dir / name).is_file(), name
    plots = sorted(p.name for p in (first_dir / "plots").iterdir())
    assert plots == sorted(
        f"{p}.png"
        for p in ("roc_curve", "precision_recall", "confusion_matrix", "calibration", "feature_importance")
    )
    assert all((first_dir / "plots" / p).read_bytes().startswith(b"\x89PNG") for p in plots)


def test_cross_validated_trials_are_pruned_on_their_mean_curve(tmp_path: Path) -> None:
    datasets = InMemoryDatasetSource({"synthetic": synthetic_table(rows=400, seed=2)})
    tracker = InMemoryExperimentTracker()
    use_case = TrainModel(datasets, XGBoostTrainer(), tracker, InMemoryModelRegistry(), tuner=OptunaTuner())
    outcome = use_case(TrainingRequest(dataset="synthetic", tuning=TuningBudget(trials=16), plots=False))
    assert outcome.tuning is not None
    assert outcome.tuning.count(TrialState.COMPLETE) >= 5
    trials = tracker.children(tracker.runs[0])
    pruned = [t for t in trials if t.tags["predictor.trial.state"] == "pruned"]
    assert pruned
    # The pruner saw the mean curve after its 30 warm-up rounds, and stopped every fold at once,
    # only once that curve had not improved for the patience.
    for trial in pruned:
        curve = trial.histories["valid_logloss"]
        assert 30 < len(curve) < 1000
        assert min(curve[-PRUNER_PATIENCE_ROUNDS - 1 :]) > min(curve[: -PRUNER_PATIENCE_ROUNDS - 1])


def test_if_better_compares_with_production_on_the_same_rows(store: str, tmp_path: Path) -> None:
    datasets = LocalDatasetSource()
    weak = {"max_depth": 1, "num_boost_round": 2, "early_stopping_rounds": 0}
    base = TrainingRequest(dataset="wine", register_as="wine", promote_to="production", plots=False)
    train(store, tmp_path, datasets, TrainingRequest(**{**base.__dict__, "params": weak}))
    better = train(store, tmp_path, datasets, TrainingRequest(**{**base.__dict__, "if_better": True}))
    assert better.promotion is not None
    assert better.promotion.promote
    assert better.alias == "production"
    worse = train(
        store, tmp_path, datasets, TrainingRequest(**{**base.__dict__, "if_better": True, "params": weak})
    )
    decision = worse.promotion
    assert decision is not None
    assert (decision.promote, decision.current_version) == (False, "2")
    assert decision.current is not None
    assert decision.candidate < decision.current
    assert MlflowModelRegistry(store).resolve(ModelRef.parse("wine@production")).version == "2"
    run = MlflowClient(tracking_uri=store).get_run(worse.run_id)
    assert run.data.tags["predictor.promotion"] == "kept"
    assert run.data.metrics["promotion_current_roc_auc"] == pytest.approx(decision.current)
