"""The ``ModelTrainer`` and ``ModelRuntime`` contracts, run against the fake (the linear model)
and XGBoost: the same spec gives the same model; a saved model directory loads and predicts as
the trained model did; contributions add up to the margin; a directory that is not a model is
``InvalidModel``; a round-by-round start trains the rounds (at most the spec's) that a fit with
no patience trains; a model downloaded into the runtime's scratch directory loads, and the
directory is gone afterwards."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from predictor.adapters.memory import LinearModelRuntime, LinearModelTrainer, synthetic_table
from predictor.adapters.xgboost.runtime import XGBoostRuntime
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.errors import InvalidModel
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, ModelRuntime, ModelTrainer
from predictor.domain.ports.training import FitSpec
from predictor.services.training.pipeline import build_schema, encode_columns, encode_target, split_indices


@dataclass(frozen=True)
class Pair:
    trainer: ModelTrainer
    runtime: ModelRuntime


@pytest.fixture(params=["memory", "xgboost"])
def pair(request: pytest.FixtureRequest) -> Pair:
    if request.param == "memory":
        return Pair(LinearModelTrainer(), LinearModelRuntime())
    return Pair(XGBoostTrainer(), XGBoostRuntime())


@pytest.fixture(scope="module")
def data() -> tuple[FitSpec, Matrix]:
    """A binary problem: a spec of a few rounds, and held-out rows to predict."""
    table = synthetic_table(rows=200, seed=5)
    schema = build_schema(table, task=None)
    truth = encode_target(schema, table.columns[table.target])
    matrix = encode_columns(schema, table.columns)
    train, valid, test = split_indices(truth, schema.target.task, (0.2, 0.2), seed=2)
    manifest = ModelManifest(schema=schema, booster_file="model.ubj")
    spec = FitSpec(manifest, (matrix[train], truth[train]), (matrix[valid], truth[valid]), seed=3, rounds=8)
    return spec, matrix[test]


def test_the_same_spec_gives_the_same_model(pair: Pair, data: tuple[FitSpec, Matrix]) -> None:
    spec, rows = data
    first, again = pair.trainer.fit(spec), pair.trainer.fit(spec)
    np.testing.assert_array_equal(first.predict(rows), again.predict(rows))
    assert first.params == again.params


def test_a_saved_model_loads_and_predicts_as_trained(
    pair: Pair, data: tuple[FitSpec, Matrix], tmp_path: Path
) -> None:
    spec, rows = data
    model = pair.trainer.fit(spec)
    model.save(tmp_path)
    loaded = pair.runtime.load(tmp_path)
    assert loaded.manifest.schema == spec.manifest.schema
    scores = loaded.predict(rows)
    assert scores.shape == (len(rows),)
    assert np.all((scores >= 0) & (scores <= 1))
    np.testing.assert_allclose(scores, model.predict(rows), rtol=1e-6)


def test_contributions_add_up_to_the_margin(pair: Pair, data: tuple[FitSpec, Matrix], tmp_path: Path) -> None:
    spec, rows = data
    pair.trainer.fit(spec).save(tmp_path)
    loaded = pair.runtime.load(tmp_path)
    contributions, base = loaded.contributions(rows)
    assert contributions.shape == (len(rows), len(spec.manifest.schema.features))
    probability = loaded.predict(rows).astype(np.float64)
    log_odds = np.log(probability / (1 - probability))
    np.testing.assert_allclose(contributions.sum(axis=1) + base, log_odds, rtol=1e-3, atol=1e-3)


def test_a_directory_that_is_not_a_model_is_invalid(pair: Pair, tmp_path: Path) -> None:
    with pytest.raises(InvalidModel):
        pair.runtime.load(tmp_path)


def test_starting_round_by_round_trains_the_rounds_of_a_fit(pair: Pair, data: tuple[FitSpec, Matrix]) -> None:
    spec, _ = data
    boosting = pair.trainer.start(spec)
    scores = []
    while (score := boosting.next_round()) is not None:
        scores.append(score)
    fitted = pair.trainer.fit(replace(spec, patience=0))
    metric = list(scores[-1])[-1]
    assert 1 <= len(scores) <= (spec.rounds or 0)  # the linear fake is fitted in one round
    assert all(math.isfinite(s[metric]) for s in scores)
    assert [s[metric] for s in scores] == pytest.approx(list(fitted.history[metric]))


def test_a_downloaded_model_loads_from_a_scratch_directory_that_is_gone_afterwards(
    pair: Pair, data: tuple[FitSpec, Matrix]
) -> None:
    spec, rows = data
    model = pair.trainer.fit(spec)
    scratches: list[Path] = []

    def download(scratch: Path) -> Path:
        assert scratch.is_dir()
        assert not any(scratch.iterdir())
        scratches.append(scratch)
        model.save(scratch / "model")
        return scratch / "model"

    loaded = pair.runtime.load_downloaded(download)
    np.testing.assert_allclose(loaded.predict(rows), model.predict(rows), rtol=1e-6)
    assert len(scratches) == 1
    assert not scratches[0].exists()


def test_a_failed_download_or_load_leaves_no_scratch_directory(pair: Pair) -> None:
    scratches: list[Path] = []

    def broken(scratch: Path) -> Path:
        scratches.append(scratch)
        raise InvalidModel("the download broke half-way")

    def not_a_model(scratch: Path) -> Path:
        scratches.append(scratch)
        (scratch / "notes.txt").write_text("no manifest here")
        return scratch

    with pytest.raises(InvalidModel, match="half-way"):
        pair.runtime.load_downloaded(broken)
    with pytest.raises(InvalidModel):
        pair.runtime.load_downloaded(not_a_model)
    assert len(scratches) == 2
    assert not any(s.exists() for s in scratches)
