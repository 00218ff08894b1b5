"""The words of hyperparameter search: a search space, a plan, a budget, a trial, its record and
the result.

The trainer says what to search (``ModelTrainer.search_plan``); the ``Tuner`` port samples
parameters from the plan's ``SearchSpace`` and hands each trial to the objective as a
``TrialHandle``; ``TuneParameters`` (services/training/tuning.py) is the use case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class IntParam:
    name: str
    low: int
    high: int
    log: bool = False


@dataclass(frozen=True, slots=True)
class FloatParam:
    name: str
    low: float
    high: float
    log: bool = False


SearchSpace = tuple[IntParam | FloatParam, ...]


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """What to search, in the trainer's words: the ``space``; the validation ``metric`` each
    trial is scored on (its best round), and whether higher is better; and how long a trial may
    boost: at most ``rounds``, stopping once ``patience`` rounds bring no better score."""

    space: SearchSpace
    metric: str
    maximize: bool
    rounds: int
    patience: int


@dataclass(frozen=True, slots=True)
class TuningBudget:
    """``trials`` and/or ``timeout`` (seconds; no new trial starts after it). ``parallel``
    trials run at a time, each with ``threads`` threads."""

    trials: int | None = None
    timeout: float | None = None
    parallel: int = 2
    threads: int = 1

    def __post_init__(self) -> None:
        if self.trials is None and self.timeout is None:
            raise ValueError("a tuning budget needs a number of trials, a timeout, or both")


class TrialState(StrEnum):
    COMPLETE = "complete"
    PRUNED = "pruned"
    FAILED = "failed"


@dataclass(frozen=True)
class TrialRecord:
    """One finished trial: its parameters, its validation score and how it ended."""

    number: int
    params: Mapping[str, Any]
    state: TrialState
    value: float | None = None
    seconds: float = 0.0
    message: str = ""
    history: Mapping[str, tuple[float, ...]] = field(default_factory=dict)


class TrialHandle(Protocol):
    """What the objective sees of one trial."""

    @property
    def number(self) -> int: ...

    @property
    def params(self) -> Mapping[str, Any]:
        """The sampled parameters, one per entry of the search space."""
        ...

    @property
    def threads(self) -> int:
        """How many threads this trial may use (the budget's ``threads``)."""
        ...

    def report(self, step: int, value: float) -> bool:
        """Record the validation score after ``step``; True means "stop: this trial is pruned"."""
        ...


class TuningProgress(Protocol):
    """Told about the search as it goes (a progress bar, a log). Called from the thread that
    called ``tune``."""

    def started(self, trials: int | None, timeout: float | None) -> None: ...

    def trial_finished(self, record: TrialRecord, best: TrialRecord | None) -> None: ...

    def finished(self) -> None: ...


@dataclass(frozen=True)
class TuningResult:
    metric: str
    maximize: bool
    best: TrialRecord  # with its validation history (the mean over the folds when cross-validated)
    trials: Sequence[TrialRecord]
    folds: int = 1  # 1: trials were scored on the validation rows; k: by k-fold cross-validation

    @property
    def best_rounds(self) -> int:
        """Boosting rounds up to the best trial's best validation score."""
        values = self.best.history.get(self.metric, ())
        if not values:
            return 1
        best = max(values) if self.maximize else min(values)
        return values.index(best) + 1

    def count(self, state: TrialState) -> int:
        return sum(1 for t in self.trials if t.state is state)

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "maximize": self.maximize,
            "best_trial": self.best.number,
            "best_params": dict(self.best.params),
            "best_value": self.best.value,
            "best_rounds": self.best_rounds,
            "cv_folds": self.folds,
            "trials": [
                {
                    "number": t.number,
                    "state": t.state.value,
                    "value": t.value,
                    "seconds": round(t.seconds, 3),
                    "params": dict(t.params),
                    "message": t.message,
                }
                for t in self.trials
            ],
        }
