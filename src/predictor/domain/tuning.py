"""Use case: search the trainer's parameters on the validation rows, each trial a nested run."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from predictor.domain.errors import DataError
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import ExperimentTracker, Matrix, ModelTrainer, Scores, Tuner
from predictor.domain.schema import TaskType
from predictor.domain.search import (
    XGBOOST_SPACE,
    SearchSpace,
    TrialHandle,
    TrialRecord,
    TrialState,
    TuningBudget,
    TuningProgress,
)

# The metric the trainer stops early on, per task (XGBoost's names), unless params set one.
# Log loss rather than AUC for binary: on a small validation split AUC saturates near 1 after
# a few rounds and stops the search from telling configurations apart.
VALIDATION_METRIC = {TaskType.BINARY: "logloss", TaskType.MULTICLASS: "mlogloss", TaskType.REGRESSION: "rmse"}
# Each trial may boost this long; early stopping (on the validation rows) ends most far sooner.
TRIAL_ROUNDS = {"num_boost_round": 1000, "early_stopping_rounds": 50}
_HIGHER_IS_BETTER = frozenset({"auc", "aucpr", "map", "ndcg", "pre"})


def is_maximized(metric: str) -> bool:
    return metric.partition("@")[0] in _HIGHER_IS_BETTER


@dataclass(frozen=True)
class TuningResult:
    metric: str
    maximize: bool
    best: TrialRecord  # with its validation history
    trials: Sequence[TrialRecord]

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


def _beats(record: TrialRecord, best: TrialRecord | None, maximize: bool) -> bool:
    """A complete trial with a score, better than ``best`` (the earlier trial wins a tie)."""
    value = record.value
    if record.state is not TrialState.COMPLETE or value is None or math.isnan(value):
        return False
    if best is None or best.value is None:
        return True
    return value > best.value if maximize else value < best.value


class TuneParameters:
    """Run the tuner over the trainer, log each trial as a run nested under ``parent_run_id``."""

    def __init__(
        self,
        trainer: ModelTrainer,
        tuner: Tuner,
        tracker: ExperimentTracker,
        space: SearchSpace = XGBOOST_SPACE,
    ) -> None:
        self._trainer = trainer
        self._tuner = tuner
        self._tracker = tracker
        self._space = space

    def __call__(
        self,
        manifest: ModelManifest,
        train: tuple[Matrix, Scores],
        valid: tuple[Matrix, Scores],
        params: Mapping[str, Any],
        seed: int,
        budget: TuningBudget,
        experiment: str,
        parent_run_id: str,
        progress: TuningProgress | None = None,
    ) -> TuningResult:
        metric = str(params.get("eval_metric", VALIDATION_METRIC[manifest.schema.target.task]))
        maximize = is_maximized(metric)
        histories: dict[int, dict[str, tuple[float, ...]]] = {}
        lock = threading.Lock()

        def objective(trial: TrialHandle) -> float:
            model = self._trainer.fit(
                manifest,
                train,
                valid,
                {**TRIAL_ROUNDS, **params, **trial.params},
                seed,
                on_iteration=trial.report,
                threads=trial.threads,
            )
            history = {name: tuple(float(v) for v in values) for name, values in model.history.items()}
            with lock:
                histories[trial.number] = history
            values = history.get(metric) or next(reversed(history.values()), ())
            if not values:
                return float("nan")
            return max(values) if maximize else min(values)

        best: list[TrialRecord] = []

        def finished(record: TrialRecord) -> None:
            with lock:
                history = histories.pop(record.number, {})
            record = replace(record, history=history)
            self._log_trial(experiment, parent_run_id, metric, record)
            if _beats(record, best[0] if best else None, maximize):
                best[:] = [record]
            if progress is not None:
                progress.trial_finished(record, best[0] if best else None)

        if progress is not None:
            progress.started(budget.trials, budget.timeout)
        try:
            trials = self._tuner.tune(self._space, objective, budget, seed, maximize, finished)
        finally:
            if progress is not None:
                progress.finished()
        if not best:
            raise DataError(f"no tuning trial completed ({len(trials)} tried); see the trial runs for why")
        return TuningResult(metric, maximize, best[0], tuple(trials))

    def _log_trial(
        self,
        experiment: str,
        parent_run_id: str,
        metric: str,
        record: TrialRecord,
    ) -> None:
        with self._tracker.start_run(
            experiment, f"trial-{record.number}", parent_run_id=parent_run_id
        ) as run:
            run.log_params(dict(record.params))
            run.set_tags(
                {"predictor.trial.number": str(record.number), "predictor.trial.state": record.state.value}
            )
            if record.value is not None:
                run.log_metrics({f"valid_{metric}": record.value, "trial_seconds": record.seconds})
            for name, values in record.history.items():
                run.log_metric_history(f"valid_{name}", values)
