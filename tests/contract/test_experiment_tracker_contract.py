"""The ``ExperimentTracker`` and ``TrackedRun`` contracts, run against the fake
(``InMemoryExperimentTracker``) and MLflow on a SQLite store in a temporary directory: what a
run logs (params, metrics, tags, documents, per-round curves, artifacts) is what the store holds;
a run ends finished when its block exits, failed when it raises (the error goes on); a run
started under a parent is nested under it; a logged model is a source the registry of the same
kind registers, and it loads and predicts as the model did."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mlflow import MlflowClient

from predictor.adapters.memory import InMemoryExperimentTracker
from predictor.adapters.mlflow.tracking import MlflowExperimentTracker
from predictor.domain.ports import ExperimentTracker, ModelRegistry, ModelRuntime
from tests.contract.registries import IMPLEMENTATIONS, log_model


@dataclass(frozen=True)
class Stored:
    """A run as its store holds it, read back by the store's own means."""

    status: str  # "finished" | "failed" | "running"
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    parent: str | None
    history: Callable[[str], list[float]]
    artifact: Callable[[str], bytes]


@dataclass(frozen=True)
class Backend:
    tracker: ExperimentTracker
    stored: Callable[[str], Stored]


def _memory(tmp: Path) -> Backend:
    tracker = InMemoryExperimentTracker(tmp)

    def stored(run_id: str) -> Stored:
        (run,) = [r for r in tracker.runs if r.run_id == run_id]
        status = "failed" if run.failed else "finished" if run.finished else "running"
        files = {**run.files, **{name: json.dumps(doc).encode() for name, doc in run.documents.items()}}
        return Stored(
            status,
            {k: str(v) for k, v in run.params.items()},
            dict(run.metrics),
            dict(run.tags),
            run.parent_run_id,
            lambda name: list(run.histories[name]),
            lambda path: files[path],
        )

    return Backend(tracker, stored)


def _mlflow(tmp: Path) -> Backend:
    uri = f"sqlite:///{tmp}/mlflow.db"
    tracker = MlflowExperimentTracker(uri, str(tmp / "mlartifacts"))
    client = MlflowClient(uri)

    def stored(run_id: str) -> Stored:
        run = client.get_run(run_id)
        status = {"FINISHED": "finished", "FAILED": "failed"}.get(run.info.status, "running")

        def artifact(path: str) -> bytes:
            return Path(client.download_artifacts(run_id, path, str(tmp))).read_bytes()

        return Stored(
            status,
            dict(run.data.params),
            dict(run.data.metrics),
            dict(run.data.tags),
            run.data.tags.get("mlflow.parentRunId"),
            lambda name: [m.value for m in sorted(client.get_metric_history(run_id, name), key=_step)],
            artifact,
        )

    return Backend(tracker, stored)


def _step(metric: Any) -> int:  # mlflow's Metric
    return int(metric.step)


@pytest.fixture(params=["memory", "mlflow"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return _memory(tmp_path) if request.param == "memory" else _mlflow(tmp_path)


def test_what_a_run_logs_is_what_the_store_holds(backend: Backend) -> None:
    params: dict[str, Any] = {"eta": 0.1, "max_depth": 6, "objective": "binary:logistic"}
    params.update({f"p{i}": i for i in range(150)})  # more than one batch
    with backend.tracker.start_run("contract", run_name="logs") as run:
        run.log_params(params)
        run.log_metrics({"roc_auc": 0.91, "log_loss": 0.25})
        run.set_tags({"predictor.dataset": "breast-cancer"})
        run.log_dict({"features": ["age", "income"], "rows": 3}, "schema.json")
        run.log_metric_history("valid-logloss", [0.6, 0.4, 0.3])
        run.log_artifact(b"\x89PNG\r\n\x1a\nroc", "plots/roc_curve.png")
        run_id = run.run_id
    stored = backend.stored(run_id)
    assert stored.status == "finished"
    assert {k: stored.params[k] for k in params} == {k: str(v) for k, v in params.items()}
    assert stored.metrics["roc_auc"] == pytest.approx(0.91)
    assert stored.metrics["log_loss"] == pytest.approx(0.25)
    assert stored.tags["predictor.dataset"] == "breast-cancer"
    assert json.loads(stored.artifact("schema.json")) == {"features": ["age", "income"], "rows": 3}
    assert stored.history("valid-logloss") == pytest.approx([0.6, 0.4, 0.3])
    assert stored.artifact("plots/roc_curve.png") == b"\x89PNG\r\n\x1a\nroc"


def test_a_run_whose_block_raises_ends_failed_and_the_error_goes_on(backend: Backend) -> None:
    run_ids: list[str] = []
    with (  # noqa: PT012  # the run is the block that raises
        pytest.raises(ValueError, match="the fit broke"),
        backend.tracker.start_run("contract", run_name="broken") as run,
    ):
        run_ids.append(run.run_id)
        raise ValueError("the fit broke")
    assert backend.stored(run_ids[0]).status == "failed"


def test_a_run_started_under_a_parent_is_nested_under_it(backend: Backend) -> None:
    with backend.tracker.start_run("contract", run_name="search") as parent:
        with backend.tracker.start_run("contract", run_name="trial-0", parent_run_id=parent.run_id) as child:
            child.log_metrics({"roc_auc": 0.8})
            child_id = child.run_id
        parent_id = parent.run_id
    assert child_id != parent_id
    assert backend.stored(child_id).parent == parent_id
    assert backend.stored(child_id).status == "finished"
    assert backend.stored(parent_id).parent is None


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_a_logged_model_registers_and_loads_as_it_predicted(implementation: str, tmp_path: Path) -> None:
    logged = log_model(implementation, tmp_path)
    registry: ModelRegistry = logged.registry
    runtime: ModelRuntime = logged.runtime
    version = registry.register("tracked", logged.source, logged.run_id, {})
    loaded = runtime.load_downloaded(lambda scratch: registry.download(version, scratch))
    np.testing.assert_allclose(loaded.predict(logged.rows), logged.model.predict(logged.rows), rtol=1e-6)
