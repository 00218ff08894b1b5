"""The MLflow tracker's run lifecycle and artifact location, and store failures as domain errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient

from predictor.adapters.mlflow.registry import MlflowModelRegistry
from predictor.adapters.mlflow.tracking import MlflowExperimentTracker, artifact_location
from predictor.domain.errors import ModelUnavailable
from predictor.domain.model import ModelRef

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow')}/mlflow.db"


def test_a_run_records_what_is_logged_and_ends_finished(uri: str, tmp_path: Path) -> None:
    tracker = MlflowExperimentTracker(uri, str(tmp_path / "artifacts"))
    with tracker.start_run("tracking", run_name="ok") as run:
        run.log_params({"max_depth": 4, "dataset": "wine"})
        run.log_metrics({"test_rmse": 0.5})
        run.set_tags({"team": "risk"})
        run.log_dict({"rows": 3}, "summary.json")

    client = MlflowClient(tracking_uri=uri)
    recorded = client.get_run(run.run_id)
    assert recorded.info.status == "FINISHED"
    assert recorded.info.run_name == "ok"
    assert recorded.data.params == {"max_depth": "4", "dataset": "wine"}
    assert recorded.data.metrics == {"test_rmse": 0.5}
    assert recorded.data.tags["team"] == "risk"
    assert recorded.data.tags["predictor.versions.numpy"]
    assert [a.path for a in client.list_artifacts(run.run_id)] == ["summary.json"]
    # The experiment keeps its artifacts where it was told, as an absolute file URI.
    experiment = client.get_experiment_by_name("tracking")
    assert experiment is not None
    assert experiment.artifact_location == (tmp_path / "artifacts").resolve().as_uri()


def test_a_run_whose_block_raises_ends_failed(uri: str, tmp_path: Path) -> None:
    tracker = MlflowExperimentTracker(uri, str(tmp_path / "artifacts"))
    with pytest.raises(RuntimeError, match="boom"), tracker.start_run("tracking", run_name="bad") as run:
        raise RuntimeError("boom")
    assert MlflowClient(tracking_uri=uri).get_run(run.run_id).info.status == "FAILED"


@pytest.mark.parametrize(
    ("root", "tracking", "expected"),
    [
        ("s3://bucket/mlflow", "sqlite:///mlflow.db", "s3://bucket/mlflow"),
        ("mlflow-artifacts:/team", "http://127.0.0.1:5000", "mlflow-artifacts:/team"),
        ("mlartifacts", "http://127.0.0.1:5000", None),  # the server's own root
        ("mlartifacts", "sqlite:///mlflow.db", (Path.cwd() / "mlartifacts").as_uri()),
    ],
)
def test_the_artifact_location_of_a_new_experiment(root: str, tracking: str, expected: str | None) -> None:
    assert artifact_location(root, tracking) == expected


def test_a_store_that_cannot_be_opened_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    registry = MlflowModelRegistry(f"sqlite:///{tmp_path}/a-file/mlflow.db")
    with pytest.raises(ModelUnavailable, match="sqlite store") as raised:
        registry.resolve(ModelRef("demo", alias="production"))
    assert str(tmp_path) not in str(raised.value)
