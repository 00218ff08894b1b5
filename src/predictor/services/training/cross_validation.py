"""k-fold cross-validation for tuning: folds over the rows tuning may see, trained in lockstep.

A validation split of a hundred rows ranks parameter sets by its own noise as much as by their
merit. Cross-validation scores every parameter set on every training and validation row
instead: each fold trains on the other folds and is scored on its own. The test rows are never
part of a fold.

The folds of one trial are stepped together, one boosting round each in fold order, on the
trial's thread (as ``xgboost.cv`` steps its folds); the mean validation score of that round then
decides, for every fold at once, whether to go on — early stopping and pruning watch the mean
curve, and the best round of the mean curve is how long the refitted model boosts. Parallelism
comes from running trials side by side, not folds: a round on a few hundred rows is too short
to share between threads without the threads waiting on each other.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from predictor.domain.errors import ConfigurationError
from predictor.domain.ports import IterationCallback, ModelTrainer
from predictor.domain.ports.training import FitSpec, Rows
from predictor.domain.schema import TaskType
from predictor.services.training.tabular import Indices

Fold = tuple[Rows, Rows]  # (training rows, validation rows)
Curves = Mapping[str, Sequence[float]]


def fold_indices(
    truth: npt.NDArray[np.float64], task: TaskType, rows: Indices, folds: int, seed: int
) -> list[tuple[Indices, Indices]]:
    """``folds`` seeded (training, validation) index pairs over ``rows``, stratified by class.

    Each class's rows are shuffled and dealt round the folds in turn, carrying on from the fold
    where the previous class stopped: folds differ in size by at most one row, each class is
    spread as evenly as it can be, and every row is a validation row exactly once.
    """
    if folds < 2:
        raise ConfigurationError(f"cross-validation needs at least 2 folds, not {folds}")
    if folds > len(rows):
        raise ConfigurationError(f"{folds} folds need at least {folds} rows; tuning has {len(rows)}")
    rng = np.random.default_rng(seed)
    values = truth[rows]
    groups = [rows[values == k] for k in np.unique(values)] if task.is_classification else [rows]
    dealt = np.concatenate([rng.permutation(group) for group in groups])
    fold_of = np.arange(len(dealt)) % folds
    return [(np.sort(dealt[fold_of != k]), np.sort(dealt[fold_of == k])) for k in range(folds)]


def mean_curves(curves: Sequence[Curves]) -> dict[str, tuple[float, ...]]:
    """Round-by-round mean of each metric over the folds, as far as every fold went."""
    if not curves:
        return {}
    means = {}
    for name in [n for n in curves[0] if all(n in c for c in curves[1:])]:
        length = min(len(c[name]) for c in curves)
        stacked = np.asarray([list(c[name])[:length] for c in curves], dtype=np.float64)
        means[name] = tuple(float(v) for v in stacked.mean(axis=0))
    return means


class _EarlyStopping:
    """XGBoost's own early-stopping rule, applied to the mean curve: stop once the best round
    is ``patience`` rounds behind (0: never)."""

    def __init__(self, patience: int, maximize: bool) -> None:
        self._patience = patience
        self._maximize = maximize
        self._best: tuple[int, float] | None = None

    def stops(self, step: int, mean: float) -> bool:
        if not math.isfinite(mean):
            return False
        if self._best is None or (mean > self._best[1] if self._maximize else mean < self._best[1]):
            self._best = (step, mean)
            return False
        return bool(self._patience) and step - self._best[0] >= self._patience


def cross_validate(
    trainer: ModelTrainer,
    fits: Sequence[FitSpec],
    patience: int,
    maximize: bool,
    report: IterationCallback | None = None,
) -> dict[str, tuple[float, ...]]:
    """Step one model per fold (``fits``, one spec each) in lockstep, stopping early once the
    mean validation score has not improved for ``patience`` rounds (0: never); return the mean
    validation curve of each metric.

    ``report(step, mean)`` sees the mean after every round and may stop every fold (pruning).
    The first error of any fold is raised.
    """
    stopping = _EarlyStopping(patience, maximize)
    runs = [trainer.start(fit) for fit in fits]
    curves: list[dict[str, list[float]]] = [{} for _ in runs]
    for step in itertools.count():
        scores = [score for run in runs if (score := run.next_round()) is not None]
        if len(scores) < len(runs):
            break  # the rounds are done
        for curve, score in zip(curves, scores, strict=True):
            for name, value in score.items():
                curve.setdefault(name, []).append(value)
        # The mean of the early-stopping metric (each fold's last) over the folds.
        mean = float(np.mean([[*score.values()][-1] for score in scores]))
        if report is not None and report(step, mean):
            break  # pruned
        if stopping.stops(step, mean):
            break
    return mean_curves(curves)
