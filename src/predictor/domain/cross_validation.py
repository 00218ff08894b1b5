"""k-fold cross-validation for tuning: folds over the rows tuning may see, trained in lockstep.

A validation split of a hundred rows ranks parameter sets by its own noise as much as by their
merit. Cross-validation scores every parameter set on every training and validation row
instead: each fold trains on the other folds and is scored on its own. The test rows are never
part of a fold.

The folds of one trial train side by side on threads and wait for each other after every
boosting round; the mean validation score of that round then decides, for every fold at once,
whether to go on — early stopping and pruning watch the mean curve, as ``xgboost.cv`` does,
and the best round of the mean curve is how long the refitted model boosts.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from predictor.domain.errors import ConfigurationError
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import IterationCallback, Matrix, ModelTrainer, Scores
from predictor.domain.schema import TaskType
from predictor.domain.tabular import Indices

Rows = tuple[Matrix, Scores]
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


class _Lockstep:
    """Holds the folds of one trial together: after each round the last fold to arrive
    averages the round's scores, reports the mean and decides whether every fold stops."""

    def __init__(self, folds: int, patience: int, maximize: bool, report: IterationCallback | None) -> None:
        self._scores = [math.nan] * folds
        self._step = 0
        self._barrier = threading.Barrier(folds, action=self._decide)
        self._patience = patience
        self._maximize = maximize
        self._report = report
        self._best: tuple[int, float] | None = None
        self._stop = False

    def callback(self, fold: int) -> IterationCallback:
        def on_iteration(step: int, value: float) -> bool:
            self._scores[fold] = value
            self._step = step
            try:
                self._barrier.wait()
            except threading.BrokenBarrierError:  # another fold ended or failed: stop too
                return True
            return self._stop

        return on_iteration

    def release(self) -> None:
        """A fold has ended: nobody may wait for it any more."""
        self._barrier.abort()

    def _decide(self) -> None:
        step, mean = self._step, float(np.mean(self._scores))
        if self._report is not None and self._report(step, mean):
            self._stop = True  # pruned
        elif math.isfinite(mean):
            # XGBoost's own early stopping rule, applied to the mean curve.
            if self._best is None or (mean > self._best[1] if self._maximize else mean < self._best[1]):
                self._best = (step, mean)
            elif self._patience and step - self._best[0] >= self._patience:
                self._stop = True


def cross_validate(
    trainer: ModelTrainer,
    manifest: ModelManifest,
    folds: Sequence[Fold],
    params: Mapping[str, Any],
    seed: int,
    maximize: bool,
    report: IterationCallback | None = None,
    threads: int | None = None,
) -> dict[str, tuple[float, ...]]:
    """Train one model per fold in lockstep, stopping early on the mean validation score
    (``early_stopping_rounds`` of ``params``); return the mean validation curve of each metric.

    ``report(step, mean)`` sees the mean after every round and may stop every fold (pruning).
    Each fold trains with ``threads`` threads; the first error of any fold is raised.
    """
    options = dict(params)
    patience = int(options.pop("early_stopping_rounds", 0))
    # The trainer must not stop a fold on its own: the lockstep stops them all on the mean.
    options["early_stopping_rounds"] = 0
    lockstep = _Lockstep(len(folds), patience, maximize, report)

    def fit(k: int) -> Curves:
        train, valid = folds[k]
        try:
            model = trainer.fit(
                manifest, train, valid, options, seed, on_iteration=lockstep.callback(k), threads=threads
            )
        finally:
            lockstep.release()
        return model.history

    if len(folds) == 1:
        return mean_curves([fit(0)])
    with ThreadPoolExecutor(max_workers=len(folds), thread_name_prefix="fold") as pool:
        futures = [pool.submit(fit, k) for k in range(len(folds))]
        return mean_curves([future.result() for future in futures])
