"""What tuning searches for XGBoost: its usual knobs, its metric names, how long a trial boosts.

The trainer's defaults live here too (objective and early-stopping metric per task, rounds,
patience), so that fitting and searching read the same words from one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from predictor.domain.schema import TaskType
from predictor.domain.search import FloatParam, IntParam, SearchPlan, SearchSpace

MAX_ROUNDS = 200
EARLY_STOPPING_ROUNDS = 20
# Objective and early-stopping metric per task; users may override either through params.
OBJECTIVES: Mapping[TaskType, tuple[str, str]] = {
    # Log loss, not AUC: on a small validation split AUC saturates after a few rounds and
    # stops training (and tuning) from telling configurations apart; log loss keeps measuring
    # how well the probabilities separate.
    TaskType.BINARY: ("binary:logistic", "logloss"),
    TaskType.MULTICLASS: ("multi:softprob", "mlogloss"),
    TaskType.REGRESSION: ("reg:squarederror", "rmse"),
}

# XGBoost's usual knobs, in ranges that suit small and medium tables.
SEARCH_SPACE: SearchSpace = (
    IntParam("max_depth", 2, 10),
    FloatParam("eta", 0.01, 0.3, log=True),
    FloatParam("min_child_weight", 0.5, 20.0, log=True),
    FloatParam("subsample", 0.5, 1.0),
    FloatParam("colsample_bytree", 0.4, 1.0),
    FloatParam("lambda", 1e-3, 10.0, log=True),
    FloatParam("alpha", 1e-3, 10.0, log=True),
)
# Each trial may boost this long; early stopping (on the mean validation curve) ends most far sooner.
TRIAL_ROUNDS = 1000
TRIAL_PATIENCE = 50

# XGBoost's evaluation metrics where a higher score is better (``ndcg@5`` counts as ``ndcg``).
_HIGHER_IS_BETTER = frozenset({"auc", "aucpr", "map", "ndcg", "pre"})


def is_maximized(metric: str) -> bool:
    return metric.partition("@")[0] in _HIGHER_IS_BETTER


def search_plan(task: TaskType, params: Mapping[str, Any]) -> SearchPlan:
    """The space, the task's validation metric (``eval_metric`` of ``params`` when set), and the
    trial rounds and patience (``num_boost_round`` and ``early_stopping_rounds`` when set)."""
    metric = str(params.get("eval_metric", OBJECTIVES[task][1]))
    return SearchPlan(
        space=SEARCH_SPACE,
        metric=metric,
        maximize=is_maximized(metric),
        rounds=int(params.get("num_boost_round", TRIAL_ROUNDS)),
        patience=int(params.get("early_stopping_rounds", TRIAL_PATIENCE)),
    )
