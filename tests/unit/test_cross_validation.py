"""Cross-validation for tuning: stratified seeded folds, and folds trained in lockstep that stop
together on the mean validation curve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictor.adapters.memory import LinearModel, synthetic_table
from predictor.domain.errors import ConfigurationError, DataError
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Boosting, ModelTrainer
from predictor.domain.ports.training import FitSpec
from predictor.domain.schema import FeatureSchema, TaskType
from predictor.domain.search import SearchPlan
from predictor.services.training.cross_validation import cross_validate, fold_indices, mean_curves
from predictor.services.training.tabular import build_schema


@given(
    classes=st.lists(st.integers(min_value=0, max_value=3), min_size=12, max_size=200),
    folds=st.integers(min_value=2, max_value=10),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_folds_partition_the_rows_and_spread_every_class_evenly(
    classes: list[int], folds: int, seed: int
) -> None:
    truth = np.asarray(classes, dtype=np.float64)
    # Every third row stands for a test row: folds never see it.
    rows = np.flatnonzero(np.arange(len(truth)) % 3 != 0)
    pairs = fold_indices(truth, TaskType.MULTICLASS, rows, min(folds, len(rows)), seed)
    validated = np.concatenate([valid for _, valid in pairs])
    assert sorted(validated.tolist()) == rows.tolist()  # each row validated exactly once
    for train, valid in pairs:
        assert sorted(np.concatenate([train, valid]).tolist()) == rows.tolist()
    sizes = [len(valid) for _, valid in pairs]
    assert max(sizes) - min(sizes) <= 1
    for label in np.unique(truth[rows]):
        per_fold = [int(np.sum(truth[valid] == label)) for _, valid in pairs]
        assert max(per_fold) - min(per_fold) <= 1


def test_folds_are_seeded() -> None:
    truth = np.arange(40, dtype=np.float64)
    rows = np.arange(40)
    first = fold_indices(truth, TaskType.REGRESSION, rows, 4, seed=3)
    again = fold_indices(truth, TaskType.REGRESSION, rows, 4, seed=3)
    other = fold_indices(truth, TaskType.REGRESSION, rows, 4, seed=4)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(first, other, strict=True))


@pytest.mark.parametrize(
    ("folds", "message"), [(1, "at least 2 folds"), (11, "11 folds need at least 11 rows")]
)
def test_impossible_fold_counts_are_configuration_errors(folds: int, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        fold_indices(np.zeros(10), TaskType.REGRESSION, np.arange(10), folds, 0)


def test_the_mean_curve_ends_with_the_shortest_fold_and_keeps_shared_metrics() -> None:
    means = mean_curves([{"rmse": [4.0, 2.0, 1.0], "mae": [1.0]}, {"rmse": [2.0, 0.0]}])
    assert means == {"rmse": (3.0, 1.0)}


class ScriptedCurveTrainer(ModelTrainer):
    """Replays a fixed validation curve per fold (told apart by the first training row's
    first feature), one round per step, for at most ``num_boost_round`` rounds."""

    def __init__(self, curves: Mapping[float, Sequence[float]], fail_on: float | None = None) -> None:
        self._curves = curves
        self.fail_on = fail_on
        self.rounds: dict[float, int] = {}
        self.specs: list[FitSpec] = []

    def fit(self, spec: FitSpec) -> LinearModel:
        raise AssertionError("cross-validation steps its folds; it never fits a whole model")

    def start(self, spec: FitSpec) -> Boosting:
        key = float(spec.train[0][0, 0])
        self.specs.append(spec)
        self.rounds[key] = 0
        return ScriptedRounds(self, key, self._curves[key][: spec.rounds])

    def search_plan(self, schema: FeatureSchema, params: Mapping[str, Any]) -> SearchPlan:
        raise AssertionError("cross-validation is told its rounds; it never plans a search")


class ScriptedRounds(Boosting):
    def __init__(self, trainer: ScriptedCurveTrainer, key: float, curve: Sequence[float]) -> None:
        self._trainer = trainer
        self._key = key
        self._curve = curve

    def next_round(self) -> Mapping[str, float] | None:
        if self._key == self._trainer.fail_on:
            raise DataError("XGBoost refused these parameters")
        done = self._trainer.rounds[self._key]
        if done >= len(self._curve):
            return None
        self._trainer.rounds[self._key] = done + 1
        return {"logloss": self._curve[done]}


MANIFEST = ModelManifest(schema=build_schema(synthetic_table(), TaskType.BINARY), booster_file="w.json")


def folds_for(keys: Sequence[float], rounds: int) -> list[FitSpec]:
    """One spec per fold, told apart by ``key``, each boosting at most ``rounds`` rounds."""
    return [
        FitSpec(
            MANIFEST,
            (np.full((2, 3), key, dtype=np.float32), np.zeros(2)),
            (np.zeros((1, 3), dtype=np.float32), np.zeros(1)),
            seed=1,
            rounds=rounds,
        )
        for key in keys
    ]


# Fold 0 bottoms out at round 2 and then worsens; fold 1 keeps improving until round 6.
# Alone, fold 0 would stop at round 2 + 3; on the mean (best at round 4) both go on to 4 + 3.
CURVES = {
    0.0: [0.9, 0.5, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7],
    1.0: [0.9, 0.8, 0.6, 0.5, 0.3, 0.29, 0.28, 0.4, 0.5, 0.6, 0.7],
}


def test_folds_stop_together_on_the_mean_curve() -> None:
    trainer = ScriptedCurveTrainer(CURVES)
    reports: list[tuple[int, float]] = []

    def report(step: int, value: float) -> bool:
        reports.append((step, value))
        return False

    means = cross_validate(trainer, folds_for([0.0, 1.0], 100), 3, maximize=False, report=report)
    expected = [(a + b) / 2 for a, b in zip(CURVES[0.0], CURVES[1.0], strict=True)][:8]
    assert means["logloss"] == pytest.approx(expected)
    best = int(np.argmin(expected))
    assert best == 4
    assert trainer.rounds == {0.0: best + 3 + 1, 1.0: best + 3 + 1}
    assert [step for step, _ in reports] == list(range(len(expected)))
    assert [value for _, value in reports] == pytest.approx(expected)
    # The folds stop on the mean curve only; the trainer is not asked to stop early on its own.
    assert all(spec.patience is None for spec in trainer.specs)


def test_pruning_on_the_mean_stops_every_fold() -> None:
    trainer = ScriptedCurveTrainer(CURVES)
    cross_validate(trainer, folds_for([0.0, 1.0], 100), 50, maximize=False, report=lambda step, _: step == 1)
    assert trainer.rounds == {0.0: 2, 1.0: 2}


def test_without_patience_every_round_is_trained() -> None:
    trainer = ScriptedCurveTrainer(CURVES)
    means = cross_validate(trainer, folds_for([0.0, 1.0], 9), 0, maximize=False)
    assert len(means["logloss"]) == 9
    assert trainer.rounds == {0.0: 9, 1.0: 9}


def test_a_failing_fold_raises_and_no_fold_trains_on() -> None:
    trainer = ScriptedCurveTrainer(CURVES, fail_on=1.0)
    with pytest.raises(DataError, match="refused"):
        cross_validate(trainer, folds_for([0.0, 1.0], 100), 0, maximize=False)
    assert trainer.rounds[0.0] == 1  # the healthy fold's first round, then nothing more


def test_one_fold_is_the_validation_split_with_early_stopping() -> None:
    trainer = ScriptedCurveTrainer(CURVES)
    means = cross_validate(trainer, folds_for([0.0], 100), 3, maximize=False)
    assert means["logloss"] == tuple(CURVES[0.0][:6])  # best at round 2, then 3 rounds of patience
