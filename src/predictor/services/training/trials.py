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


Curve = dict[str, tuple[float, ...]]  # a trial's validation score after each round, by metric


def cross_validated(
    trainer: ModelTrainer, plan: SearchPlan, folds: Sequence[FitSpec]
) -> Callable[[TrialHandle], Curve]:
    """A trial's curve: the mean validation curve of one model per fold (``folds``: one spec
    each, with the request's parameters), stepped together and stopped early or pruned on it."""

    def curve(trial: TrialHandle) -> Curve:
        fits = [
            replace(fold, params={**fold.params, **trial.params}, threads=trial.threads, rounds=plan.rounds)
            for fold in folds
        ]
        return cross_validate(trainer, fits, plan.patience, plan.maximize, report=trial.report)

    return curve


class TrialSearch:
    """One search's state, shared by the tuner's trial threads: each trial's curve until the
    tuner reports it finished, and the best finished trial so far."""

    def __init__(
        self, plan: SearchPlan, curve: Callable[[TrialHandle], Curve], log: Callable[[TrialRecord], None]
    ) -> None:
        self.plan = plan
        self._curve = curve
        self._log = log
        self._lock = threading.Lock()
        self._histories: dict[int, dict[str, tuple[float, ...]]] = {}
        self.best: TrialRecord | None = None

    def objective(self, trial: TrialHandle) -> float:
        """The best round of the trial's mean validation curve."""
        plan = self.plan
        history = self._curve(trial)
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
