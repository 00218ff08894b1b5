"""XGBoostTrainer and XGBoostRuntime on a small generated table: defaults, overrides, the
best-iteration cut, batch sizes, and model directories that cannot be served."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from predictor.adapters.memory import synthetic_table
from predictor.adapters.xgboost.runtime import SMALL_BATCH_ROWS, XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainedModel, XGBoostTrainer
from predictor.domain.errors import DataError, InvalidModel
from predictor.domain.manifest import MANIFEST_FILE, ModelManifest
from predictor.domain.ports import Matrix, Scores
from predictor.domain.ports.training import FitSpec
from predictor.domain.schema import TaskType
from predictor.services.training.pipeline import build_schema, encode_columns, encode_target, split_indices


def parts(task: TaskType) -> tuple[ModelManifest, Matrix, tuple[Matrix, Scores], tuple[Matrix, Scores]]:
    """The manifest, every row, the training rows and the validation rows of a synthetic table."""
    table = synthetic_table(rows=300, seed=11, task=task)
    schema = build_schema(table, task=task)
    truth = encode_target(schema, table.columns[table.target])
    matrix = encode_columns(schema, table.columns)
    train, valid, _ = split_indices(truth, task, (0.2, 0.2), seed=2)
    manifest = ModelManifest(schema=schema, booster_file="unset")
    return manifest, matrix, (matrix[train], truth[train]), (matrix[valid], truth[valid])


def fit(task: TaskType = TaskType.BINARY, **params: object) -> tuple[XGBoostTrainedModel, Matrix]:
    manifest, matrix, train, valid = parts(task)
    return XGBoostTrainer(nthread=1).fit(FitSpec(manifest, train, valid, params, seed=2)), matrix


@pytest.mark.parametrize(
    ("task", "shape"),
    [(TaskType.BINARY, (300,)), (TaskType.MULTICLASS, (300, 3)), (TaskType.REGRESSION, (300,))],
)
def test_scores_have_the_tasks_shape(task: TaskType, shape: tuple[int, ...]) -> None:
    model, matrix = fit(task)
    scores = model.predict(matrix)
    assert scores.shape == shape
    if task is TaskType.MULTICLASS:
        np.testing.assert_allclose(scores.sum(axis=1), 1.0, rtol=1e-5)
    if task is TaskType.BINARY:
        assert ((scores >= 0) & (scores <= 1)).all()


def test_the_saved_booster_is_cut_to_the_best_iteration(tmp_path: Path) -> None:
    model, _ = fit(num_boost_round=400, early_stopping_rounds=5)
    rounds = model.native.num_boosted_rounds()
    assert rounds < 400  # stopped early, and the trees after the best round are gone
    model.save(tmp_path)
    assert model.manifest.booster_file == "model.ubj"
    assert XGBoostRuntime().load(tmp_path).manifest == model.manifest


def test_user_params_override_the_defaults() -> None:
    model, _ = fit(max_depth=1, num_boost_round=3, early_stopping_rounds=0)
    assert model.native.num_boosted_rounds() == 3
    depths = [json.loads(tree) for tree in model.native.get_dump(dump_format="json")]
    assert all("children" not in child for tree in depths for child in tree["children"])


@pytest.mark.parametrize("task", list(TaskType))
def test_rounds_stepped_one_at_a_time_are_the_rounds_fit_trains(task: TaskType) -> None:
    params = {
        "num_boost_round": 12,
        "subsample": 0.7,
        "colsample_bytree": 0.5,
        "eval_metric": ["mae", "rmse"],
    }
    if task.is_classification:
        params["eval_metric"] = ["error" if task is TaskType.BINARY else "merror", "auc"]
    manifest, _, train, valid = parts(task)
    whole = XGBoostTrainer(nthread=1).fit(FitSpec(manifest, train, valid, params, seed=2, patience=0))
    rounds = XGBoostTrainer(nthread=1).start(FitSpec(manifest, train, valid, params, seed=2))
    stepped = list(iter(rounds.next_round, None))
    assert len(stepped) == 12  # num_boost_round, then no more
    assert rounds.next_round() is None
    names = list(whole.history)
    assert [list(scores) for scores in stepped] == [names] * 12  # the early-stopping metric last
    assert {name: [scores[name] for scores in stepped] for name in names} == whole.history


def test_a_round_xgboost_refuses_is_a_data_error() -> None:
    manifest, _, train, valid = parts(TaskType.BINARY)
    rounds = XGBoostTrainer(nthread=1).start(FitSpec(manifest, train, valid, {"max_depth": -1}, seed=2))
    with pytest.raises(
        DataError, match=r"XGBoost could not train on this data with these parameters: .*max_depth"
    ):
        rounds.next_round()


def test_small_and_large_batches_score_alike() -> None:
    model, matrix = fit()
    large = np.concatenate([matrix, matrix])
    assert len(large) >= SMALL_BATCH_ROWS > 10
    whole = model.predict(large)
    np.testing.assert_array_equal(model.predict(large[:10]), whole[:10])


def test_a_missing_booster_file_is_an_invalid_model(tmp_path: Path) -> None:
    model, _ = fit()
    model.save(tmp_path)
    (tmp_path / "model.ubj").unlink()
    with pytest.raises(InvalidModel, match=r"no booster file 'model\.ubj'") as raised:
        XGBoostRuntime().load(tmp_path)
    assert str(tmp_path) not in str(raised.value)


def test_a_corrupt_booster_file_is_an_invalid_model_without_library_paths(tmp_path: Path) -> None:
    model, _ = fit()
    model.save(tmp_path)
    (tmp_path / "model.ubj").write_bytes(b"not a model")
    with pytest.raises(InvalidModel, match=r"'model\.ubj' is not a model XGBoost") as raised:
        XGBoostRuntime().load(tmp_path)
    assert "/" not in str(raised.value)


def test_a_booster_that_disagrees_with_its_manifest_is_an_invalid_model(tmp_path: Path) -> None:
    model, _ = fit()
    model.save(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text())
    manifest["schema"]["features"].append({"name": "extra", "kind": "numeric"})
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(InvalidModel, match="reads 3 features but the manifest lists 4"):
        XGBoostRuntime().load(tmp_path)


def test_the_specs_rounds_and_patience_win_over_the_params() -> None:
    manifest, _, train, valid = parts(TaskType.BINARY)
    params = {"num_boost_round": 50, "early_stopping_rounds": 5}
    model = XGBoostTrainer(nthread=1).fit(
        FitSpec(manifest, train, valid, params, seed=2, rounds=7, patience=0)
    )
    assert model.native.num_boosted_rounds() == 7
    assert (model.params["num_boost_round"], model.params["early_stopping_rounds"]) == (7, 0)


def test_the_search_plan_speaks_xgboost_and_follows_the_params() -> None:
    manifest, *_ = parts(TaskType.BINARY)
    plan = XGBoostTrainer().search_plan(manifest.schema, {})
    assert {p.name for p in plan.space} >= {"max_depth", "eta", "colsample_bytree"}
    assert (plan.metric, plan.maximize, plan.rounds, plan.patience) == ("logloss", False, 1000, 50)
    chosen = XGBoostTrainer().search_plan(manifest.schema, {"eval_metric": "auc", "num_boost_round": 9})
    assert (chosen.metric, chosen.maximize, chosen.rounds) == ("auc", True, 9)
