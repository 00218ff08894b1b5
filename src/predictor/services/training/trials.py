"""One parameter search's trials: each trial's objective (the best round of its mean validation
curve over the folds), its curve kept until the tuner reports it finished, and the best so far."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace

from predictor.domain.ports import ModelTrainer
from predictor.domain.ports.training import FitSpec
from predictor.domain.search import SearchPlan, TrialHandle, TrialRecord, TrialState
from predictor.services.training.cross_validation import cross_validate


def _beats(record: TrialRecord, best: TrialRecord | None, maximize: bool) -> bool:
    """A complete trial with a score, better than ``best`` (the earlier trial wins a tie)."""
    value = record.value
    if record.state is not TrialState.COMPLETE or value is None or math.isnan(value):
        return False
    if best is None or best.value is None:
        return True
    return value > best.value if maximize else value < best.value


class TrialSearch:
    """One search's state, shared by the tuner's trial threads: each trial's curve until the
    tuner reports it finished, and the best finished trial so far."""

    def __init__(
        self,
        trainer: ModelTrainer,
        plan: SearchPlan,
        folds: Sequence[FitSpec],
        log: Callable[[TrialRecord], None],
    ) -> None:
        self._trainer = trainer
        self.plan = plan
        self._folds = folds  # one spec per fold, with the request's parameters
        self._log = log
        self._lock = threading.Lock()
        self._histories: dict[int, dict[str, tuple[float, ...]]] = {}
        self.best: TrialRecord | None = None

    def objective(self, trial: TrialHandle) -> float:
        """The best round of the trial's mean validation curve."""
        plan = self.plan
        fits = [
            replace(fold, params={**fold.params, **trial.params}, threads=trial.threads, rounds=plan.rounds)
            for fold in self._folds
        ]
        history = cross_validate(self._trainer, fits, plan.patience, plan.maximize, report=trial.report)
        with self._lock:
            self._histories[trial.number] = history
        values = history.get(plan.metric) or next(reversed(history.values()), ())
        if not values:
            return float("nan")
        return max(values) if plan.maximize else min(values)

    def finished(self, record: TrialRecord) -> TrialRecord:
        """The trial's record with its curve, logged; it becomes the best if it beats it."""
        with self._lock:
            history = self._histories.pop(record.number, {})
        record = replace(record, history=history)
        self._log(record)
        if _beats(record, self.best, self.plan.maximize):
            self.best = record
        return record
