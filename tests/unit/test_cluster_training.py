"""TrainOnCluster on the in-memory adapters: a table cut into parts trains as the whole table
does in one process (the same checks, schema, preprocessing, splits and metrics), tunes one
trial at a time on the validation rows, and registers and promotes as TrainModel."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from predictor.adapters.files.manifests import read_manifest
from predictor.adapters.memory import InMemoryExperimentTracker, InProcessTrainingCluster, synthetic_table
from predictor.container import Container
from predictor.domain.errors import ConfigurationError, DataCheckFailed, DataError
from predictor.domain.preprocessing import MissingValues, PreprocessingSettings
from predictor.domain.schema import TaskType
from predictor.domain.search import TuningBudget
from predictor.domain.table import Table
from predictor.services.training.pipeline import TrainingOutcome, TrainingRequest
from tests.unit.builders import memory_container


def put_parts(container: Container, table: Table, parts: int, prefix: str = "parts") -> None:
    """``table`` as the single data set ``whole`` and as ``parts`` data sets ``prefix/k``."""
    tables = container.adapters.datasets().tables
    tables["whole"] = replace(table, name="whole")
    rows = table.rows
    bounds = [rows * k // parts for k in range(parts + 1)]
    for k in range(parts):
        columns = {name: list(values[bounds[k] : bounds[k + 1]]) for name, values in table.columns.items()}
        tables[f"{prefix}/{k}"] = Table(f"rows-{k}", columns, table.target)


def cluster(container: Container) -> InProcessTrainingCluster:
    found = container.adapters.training_cluster()
    assert isinstance(found, InProcessTrainingCluster)
    return found


def both(
    container: Container, **request: Any
) -> tuple[TrainingOutcome, TrainingOutcome, InProcessTrainingCluster]:
    """The single-process outcome on ``whole`` and the cluster's on ``parts/*``."""
    single = container.train_model()(TrainingRequest(dataset="whole", **request))
    on = cluster(container)
    parted = container.train_on_cluster(cluster=on)(TrainingRequest(dataset="parts/*", **request))
    return single, parted, on


def with_gaps(table: Table) -> Table:
    """Rows without a target, and a part's worth of rows where ``colour`` is missing."""
    columns = {name: list(values) for name, values in table.columns.items()}
    for i in range(0, 40, 7):
        columns["label"][i] = None
    for i in range(150, 200):
        columns["colour"][i] = None
    return replace(table, columns=columns)


@pytest.mark.parametrize("task", [TaskType.BINARY, TaskType.MULTICLASS, TaskType.REGRESSION])
@pytest.mark.parametrize(
    "preprocessing",
    [PreprocessingSettings(), PreprocessingSettings(MissingValues.MEDIAN, scaling=True),
     PreprocessingSettings(MissingValues.MOST_FREQUENT)],
)  # fmt: skip
def test_parts_train_as_the_whole_table(task: TaskType, preprocessing: PreprocessingSettings) -> None:
    container = memory_container(task)
    put_parts(container, with_gaps(synthetic_table(rows=400, task=task)), parts=4)
    single, parted, _ = both(container, preprocessing=preprocessing)
    assert parted.schema == single.schema
    assert parted.metrics == pytest.approx(single.metrics, rel=1e-9)
    assert parted.report is not None
    assert single.report is not None
    assert parted.report.as_dict() == single.report.as_dict()
    assert parted.evaluation is not None
    assert single.evaluation is not None
    assert parted.evaluation.confusion == single.evaluation.confusion


@pytest.mark.parametrize("task", [TaskType.BINARY, TaskType.MULTICLASS, TaskType.REGRESSION])
def test_parts_store_the_reference_profile_of_the_whole_table(task: TaskType) -> None:
    container = memory_container(task)
    put_parts(container, with_gaps(synthetic_table(rows=400, task=task)), parts=4)
    preprocessing = PreprocessingSettings(MissingValues.MEDIAN, scaling=True)
    single, parted, _ = both(container, preprocessing=preprocessing)
    single_manifest = read_manifest(Path(single.source))
    parted_manifest = read_manifest(Path(parted.source))
    assert single_manifest.reference is not None
    assert parted_manifest.reference == single_manifest.reference
    assert set(single_manifest.reference.features) == {"x1", "x2", "colour"}
    # Profiled as encoded: the median filled the missing x2 values before the profile saw them.
    assert single_manifest.reference.features["x2"].missing == 0.0


def test_the_run_logs_what_a_single_process_run_logs(container: Container) -> None:
    put_parts(container, synthetic_table(rows=300), parts=3)
    tracker = container.adapters.tracker()
    assert isinstance(tracker, InMemoryExperimentTracker)
    _single, parted, on = both(container, register_as="demo")
    first, second = tracker.runs
    assert set(second.documents) == set(first.documents)
    assert second.documents["data_checks.json"] == first.documents["data_checks.json"]
    assert {k: v for k, v in second.params.items() if k != "dataset"} == {
        k: v for k, v in first.params.items() if k != "dataset"
    }
    assert second.params["dataset"] == "parts"
    assert parted.version is not None
    assert parted.version.tags["predictor.data_fingerprint"]
    (fit,) = on.opened[0].fits
    assert not fit.with_valid


def test_a_part_with_other_columns_is_named(container: Container) -> None:
    put_parts(container, synthetic_table(rows=200), parts=2)
    tables = container.adapters.datasets().tables
    part = tables["parts/1"]
    tables["parts/1"] = Table(part.name, {k: v for k, v in part.columns.items() if k != "x2"}, part.target)
    with pytest.raises(DataError, match=r"^1: its columns differ from 0's: no column 'x2'$"):
        container.train_on_cluster(cluster=cluster(container))(TrainingRequest(dataset="parts/*"))


def test_a_glob_that_names_no_part_is_an_error(container: Container) -> None:
    with pytest.raises(DataError, match="names no CSV or Parquet file"):
        container.train_on_cluster(cluster=cluster(container))(TrainingRequest(dataset="nothing/*"))


def test_failed_checks_stop_the_run_with_the_single_process_problems(container: Container) -> None:
    table = synthetic_table(rows=200)
    columns = {**table.columns, "leak": list(table.columns["label"])}
    put_parts(container, Table("t", columns, "label"), parts=2)
    with pytest.raises(DataCheckFailed) as single:
        container.train_model()(TrainingRequest(dataset="whole"))
    with pytest.raises(DataCheckFailed) as parted:
        container.train_on_cluster(cluster=cluster(container))(TrainingRequest(dataset="parts/*"))
    assert parted.value.problems == single.value.problems
    assert "leakage" in parted.value.problems[0]


def test_tuning_runs_one_trial_at_a_time_then_refits_on_train_and_valid(container: Container) -> None:
    put_parts(container, synthetic_table(rows=300), parts=3)
    on = cluster(container)
    budget = TuningBudget(trials=3, parallel=2)
    request = TrainingRequest(dataset="parts/*", tuning=budget, cv_folds=1)
    outcome = container.train_on_cluster(cluster=on)(request)
    assert outcome.tuning is not None
    assert len(outcome.tuning.trials) == 3
    fits = on.opened[0].fits
    assert [f.with_valid for f in fits] == [False, False, False, True]
    assert fits[-1].rounds == outcome.tuning.best_rounds
    assert fits[-1].patience == 0
    tracker = container.adapters.tracker()
    assert isinstance(tracker, InMemoryExperimentTracker)
    parent, *trials = tracker.runs
    assert [t.parent_run_id for t in trials] == [parent.run_id] * 3
    assert parent.params["tuning_parallel"] == 1


def test_cross_validated_tuning_is_refused(container: Container) -> None:
    put_parts(container, synthetic_table(rows=200), parts=2)
    request = TrainingRequest(dataset="parts/*", tuning=TuningBudget(trials=2), cv_folds=5)
    with pytest.raises(ConfigurationError, match="--cv-folds 1"):
        container.train_on_cluster(cluster=cluster(container))(request)


def test_register_and_promote_if_better_as_a_single_process_run(container: Container) -> None:
    put_parts(container, synthetic_table(rows=300), parts=3)
    use_case = container.train_on_cluster(cluster=cluster(container))
    request = TrainingRequest(dataset="parts/*", register_as="demo", promote_to="production", if_better=True)
    first = use_case(request)
    assert first.alias == "production"
    assert first.promotion is not None
    assert first.promotion.current is None
    again = use_case(request)
    assert again.promotion is not None
    assert again.promotion.current == pytest.approx(first.metrics["roc_auc"])
    assert again.version is not None
    assert again.version.version == "2"


def test_a_column_with_text_in_one_part_is_checked_as_in_one_table(container: Container) -> None:
    table = synthetic_table(rows=300)
    columns = {name: list(values) for name, values in table.columns.items()}
    columns["x1"][250:] = [f"{v:.2f} cm" for v in columns["x1"][250:]]
    put_parts(container, replace(table, columns=columns), parts=3)
    single, parted, _ = both(container)
    assert parted.report is not None
    assert single.report is not None
    assert "column 'x1' mixes numbers and text; it is treated as categorical" in parted.report.warnings
    assert parted.report.as_dict() == single.report.as_dict()
    assert parted.schema == single.schema
