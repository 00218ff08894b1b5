"""OptunaTuner: seeded and repeatable with parallel trials, pruning through per-round reports."""

from __future__ import annotations

import threading
import time

import optuna
import pytest

from predictor.adapters.optuna.tuner import (
    PRUNER_PATIENCE_ROUNDS,
    PRUNER_STARTUP_TRIALS,
    PRUNER_WARMUP_ROUNDS,
    OptunaTuner,
    patient_median_pruner,
)
from predictor.domain.errors import DataError
from predictor.domain.search import FloatParam, IntParam, TrialHandle, TrialRecord, TrialState, TuningBudget

SPACE = (IntParam("depth", 1, 8), FloatParam("rate", 0.01, 1.0, log=True))


def curve_objective(trial: TrialHandle) -> float:
    """A loss curve over 60 rounds whose floor depends on the parameters (best near depth 5, rate
    0.1): it falls for 16 rounds, then rises slowly, as a boosting curve does once it overfits."""
    floor = abs(trial.params["depth"] - 5) * 0.1 + abs(trial.params["rate"] - 0.1)
    best = float("inf")
    for step in range(60):
        value = floor + 1.0 / (min(step, 15) + 1) + 0.001 * max(step - 15, 0)
        best = min(best, value)
        if trial.report(step, value):
            break
        time.sleep(0.0005)  # lets the two worker threads interleave
    return best


def tune(budget: TuningBudget, seed: int = 7) -> list[TrialRecord]:
    seen: list[TrialRecord] = []
    result = OptunaTuner().tune(SPACE, curve_objective, budget, seed, maximize=False, on_trial=seen.append)
    assert list(result) == seen  # on_trial saw every trial, in trial order
    return seen


def test_the_same_seed_gives_the_same_trials_with_two_parallel_workers() -> None:
    budget = TuningBudget(trials=24, parallel=2)
    first, second = tune(budget), tune(budget)
    assert [(t.params, t.state, t.value) for t in first] == [(t.params, t.state, t.value) for t in second]
    assert [t.number for t in first] == list(range(24))
    assert tune(budget, seed=8)[0].params != first[0].params


def test_bad_trials_are_pruned_and_the_search_improves() -> None:
    trials = tune(TuningBudget(trials=30, parallel=2))
    states = {t.state for t in trials}
    assert TrialState.PRUNED in states
    assert TrialState.COMPLETE in states
    complete = [t.value for t in trials if t.state is TrialState.COMPLETE and t.value is not None]
    assert min(complete) < 0.2


def falling(rounds: int, rate: float, floor: float) -> list[float]:
    """A validation curve that keeps improving, faster with a larger learning rate."""
    return [floor + (0.7 - floor) * (1 - rate) ** step for step in range(rounds)]


def pruned_at(study: optuna.Study, curve: list[float]) -> int | None:
    trial = study.ask()
    for step, value in enumerate(curve):
        trial.report(value, step)
        if trial.should_prune():
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            return step
    study.tell(trial, min(curve))
    return None


def test_a_slow_learner_still_improving_is_not_pruned_but_one_past_its_best_is() -> None:
    study = optuna.create_study(direction="minimize", pruner=patient_median_pruner())
    for _ in range(PRUNER_STARTUP_TRIALS):  # fast learners: near 0.08 within 60 rounds
        assert pruned_at(study, falling(200, rate=0.15, floor=0.08)) is None
    # After the warm-up a small learning rate is far behind the median (a plain median pruner
    # stops it right there), but every round still improves it, and it ends better than the fast.
    slow = falling(1000, rate=0.01, floor=0.06)
    assert slow[PRUNER_WARMUP_ROUNDS] > 2 * falling(200, rate=0.15, floor=0.08)[PRUNER_WARMUP_ROUNDS]
    assert pruned_at(study, slow) is None
    # A trial past its best, and worse than the median there, is pruned once it has not
    # improved for the patience.
    overfits = falling(40, rate=0.15, floor=0.2) + [0.25] * 60
    assert pruned_at(study, overfits) == 40 + PRUNER_PATIENCE_ROUNDS
    assert 40 + PRUNER_PATIENCE_ROUNDS > PRUNER_WARMUP_ROUNDS


def test_trials_run_in_parallel_threads() -> None:
    names: set[str] = set()

    def objective(trial: TrialHandle) -> float:
        names.add(threading.current_thread().name)
        time.sleep(0.05)
        return 1.0

    OptunaTuner().tune(SPACE, objective, TuningBudget(trials=4, parallel=2), 1, True, lambda _: None)
    assert len(names) == 2


def test_a_timeout_stops_starting_trials() -> None:
    def slow(trial: TrialHandle) -> float:
        time.sleep(0.2)
        return 1.0

    started = time.monotonic()
    records = OptunaTuner().tune(SPACE, slow, TuningBudget(timeout=0.3, parallel=1), 1, True, lambda _: None)
    assert 1 <= len(records) <= 3
    assert time.monotonic() - started < 1.5


def test_failing_trials_are_recorded_and_no_complete_trial_is_a_data_error() -> None:
    def refuse(trial: TrialHandle) -> float:
        raise DataError("XGBoost refused these parameters")

    with pytest.raises(DataError, match=r"no tuning trial completed .*refused"):
        OptunaTuner().tune(SPACE, refuse, TuningBudget(trials=2), 1, True, lambda _: None)
