"""Optuna behind the ``Tuner`` port (the only module that imports optuna).

Seeded TPE sampling and patient median pruning on the per-round validation score. Trials run
``budget.parallel`` at a time on threads (XGBoost releases the GIL while it trains), in
synchronous batches: every trial of a batch is asked for before any runs, and told in trial
order once the whole batch is done. So what the sampler and the pruner see never depends on
which thread finishes first, and the same seed and ``budget.parallel`` give the same trials.
(Another batch size changes what the sampler has seen when it asks: other trials, other results.)
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState as OptunaState

from predictor.domain.errors import DataError, PredictorError
from predictor.domain.ports import Tuner
from predictor.domain.search import (
    IntParam,
    SearchSpace,
    TrialHandle,
    TrialRecord,
    TrialState,
    TuningBudget,
)

# TPE samples at random for its first trials, then models the good and the bad regions.
STARTUP_TRIALS = 10
# The median pruner waits for this many finished trials, and for this many rounds within a
# trial, before it compares: early rounds of boosting say little about the final score.
PRUNER_STARTUP_TRIALS = 5
PRUNER_WARMUP_ROUNDS = 30
# ...and it is asked only about a trial whose score has not improved for this many rounds. A
# small learning rate is still far behind the median at any fixed round while it improves
# steadily; without patience every trial below eta ~0.03 was pruned (benchmarks/pruning.py).
PRUNER_PATIENCE_ROUNDS = 10


class _Handle(TrialHandle):
    def __init__(self, trial: optuna.Trial, params: Mapping[str, Any], threads: int) -> None:
        self._trial = trial
        self._params = dict(params)
        self._threads = threads
        self.pruned = False
        self.last: float | None = None

    @property
    def number(self) -> int:
        return int(self._trial.number)

    @property
    def params(self) -> Mapping[str, Any]:
        return self._params

    @property
    def threads(self) -> int:
        return self._threads

    def report(self, step: int, value: float) -> bool:
        if not math.isfinite(value):
            return False
        self.last = value
        self._trial.report(value, step)
        if self._trial.should_prune():
            self.pruned = True
        return self.pruned


def _distributions(space: SearchSpace) -> dict[str, BaseDistribution]:
    return {
        p.name: IntDistribution(p.low, p.high, log=p.log)
        if isinstance(p, IntParam)
        else FloatDistribution(p.low, p.high, log=p.log)
        for p in space
    }


def median_pruner() -> optuna.pruners.BasePruner:
    """Prune a trial whose best score so far is worse than the finished trials' median at that round."""
    return optuna.pruners.MedianPruner(
        n_startup_trials=PRUNER_STARTUP_TRIALS, n_warmup_steps=PRUNER_WARMUP_ROUNDS
    )


def patient_median_pruner() -> optuna.pruners.BasePruner:
    """The median pruner, for a trial that has also stopped improving (the default)."""
    with warnings.catch_warnings():  # PatientPruner is marked experimental since Optuna 2.8
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.pruners.PatientPruner(median_pruner(), patience=PRUNER_PATIENCE_ROUNDS)


class OptunaTuner(Tuner):
    """Optuna's TPE sampler (seeded) and a pruner (by default the patient median pruner), with
    an in-memory study."""

    def __init__(self, pruner: Callable[[], optuna.pruners.BasePruner] = patient_median_pruner) -> None:
        self._pruner = pruner

    def tune(
        self,
        space: SearchSpace,
        objective: Callable[[TrialHandle], float],
        budget: TuningBudget,
        seed: int,
        maximize: bool,
        on_trial: Callable[[TrialRecord], None],
    ) -> Sequence[TrialRecord]:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(
            direction="maximize" if maximize else "minimize",
            sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=STARTUP_TRIALS),
            pruner=self._pruner(),
        )
        distributions = _distributions(space)
        deadline = None if budget.timeout is None else time.monotonic() + budget.timeout
        records: list[TrialRecord] = []
        with ThreadPoolExecutor(max_workers=budget.parallel, thread_name_prefix="trial") as pool:
            while True:
                size = budget.parallel
                if budget.trials is not None:
                    size = min(size, budget.trials - len(records))
                if size <= 0 or (deadline is not None and time.monotonic() >= deadline):
                    break
                batch = [study.ask(distributions) for _ in range(size)]
                futures = [pool.submit(_run, objective, trial, budget.threads) for trial in batch]
                # Every trial of the batch ends before any is told: a trial still running must
                # not see its neighbour complete, or pruning would depend on thread timing.
                done = [future.result() for future in futures]
                for trial, record in zip(batch, done, strict=True):
                    _tell(study, trial, record)
                    records.append(record)
                    on_trial(record)
        if not any(r.state is TrialState.COMPLETE for r in records):
            reasons = {r.message for r in records if r.message}
            detail = f": {'; '.join(sorted(reasons))}" if reasons else ""
            raise DataError(f"no tuning trial completed ({len(records)} tried){detail}")
        return records


def _run(objective: Callable[[TrialHandle], float], trial: optuna.Trial, threads: int) -> TrialRecord:
    handle = _Handle(trial, trial.params, threads)
    started = time.monotonic()
    try:
        value = float(objective(handle))
    except PredictorError as exc:  # e.g. parameters XGBoost refuses: the trial fails, the search goes on
        return TrialRecord(
            handle.number, handle.params, TrialState.FAILED, None, time.monotonic() - started, str(exc)
        )
    seconds = time.monotonic() - started
    if handle.pruned:
        return TrialRecord(handle.number, handle.params, TrialState.PRUNED, handle.last, seconds)
    if not math.isfinite(value):
        return TrialRecord(handle.number, handle.params, TrialState.FAILED, None, seconds, "no finite score")
    return TrialRecord(handle.number, handle.params, TrialState.COMPLETE, value, seconds)


def _tell(study: optuna.Study, trial: optuna.Trial, record: TrialRecord) -> None:
    if record.state is TrialState.COMPLETE:
        study.tell(trial, record.value)
    elif record.state is TrialState.PRUNED:
        study.tell(trial, state=OptunaState.PRUNED)
    else:
        study.tell(trial, state=OptunaState.FAIL)
