"""The ``Tuner`` contract, run against the fake (seeded random search) and Optuna: the same seed
and trial budget give the same trials; parameters stay in the space; every finished trial reaches
``on_trial`` in trial order; a search where no trial completes is a ``DataError``."""

from __future__ import annotations

import math

import pytest

from predictor.adapters.memory import SeededRandomTuner
from predictor.adapters.optuna.tuner import OptunaTuner
from predictor.domain.errors import DataError
from predictor.domain.ports import Tuner
from predictor.domain.search import FloatParam, IntParam, TrialHandle, TrialRecord, TrialState, TuningBudget

SPACE = (IntParam("depth", 2, 6), FloatParam("rate", 0.01, 0.5, log=True), FloatParam("share", 0.5, 1.0))
BUDGET = TuningBudget(trials=8, parallel=1)


@pytest.fixture(params=["memory", "optuna"])
def tuner(request: pytest.FixtureRequest) -> Tuner:
    return SeededRandomTuner() if request.param == "memory" else OptunaTuner()


def _bowl(trial: TrialHandle) -> float:
    return float((trial.params["depth"] - 4) ** 2 + abs(math.log(trial.params["rate"] / 0.1)))


def _search(tuner: Tuner, seed: int) -> list[TrialRecord]:
    seen: list[TrialRecord] = []
    result = tuner.tune(SPACE, _bowl, BUDGET, seed, maximize=False, on_trial=seen.append)
    assert list(result) == seen
    return seen


def test_the_same_seed_gives_the_same_trials(tuner: Tuner) -> None:
    first, again = _search(tuner, 3), _search(tuner, 3)
    assert [(t.params, t.state, t.value) for t in first] == [(t.params, t.state, t.value) for t in again]
    assert [t.number for t in first] == list(range(8))
    assert _search(tuner, 4)[0].params != first[0].params


def test_parameters_stay_in_the_space(tuner: Tuner) -> None:
    for trial in _search(tuner, 5):
        assert set(trial.params) == {"depth", "rate", "share"}
        assert type(trial.params["depth"]) is int
        assert 2 <= trial.params["depth"] <= 6
        assert 0.01 <= trial.params["rate"] <= 0.5
        assert 0.5 <= trial.params["share"] <= 1.0


def test_a_finished_trial_carries_its_score(tuner: Tuner) -> None:
    for trial in _search(tuner, 6):
        assert trial.state is TrialState.COMPLETE
        assert trial.value is not None
        assert trial.value == pytest.approx(
            (trial.params["depth"] - 4) ** 2 + abs(math.log(trial.params["rate"] / 0.1))
        )


def test_no_completed_trial_is_a_data_error(tuner: Tuner) -> None:
    seen: list[TrialRecord] = []
    with pytest.raises(DataError, match="no tuning trial completed"):
        tuner.tune(SPACE, lambda trial: math.nan, BUDGET, 1, maximize=False, on_trial=seen.append)
    assert [t.state for t in seen] == [TrialState.FAILED] * 8
