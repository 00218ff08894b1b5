"""Cross-validated tuning two ways: predictor's lockstep folds, or ``xgboost.cv`` with Optuna's
``XGBoostPruningCallback`` (optuna-integration), on the same folds, space, sampler, pruner and seed.

    PYTHONPATH=<dir with optuna_integration> .venv/bin/python benchmarks/cv_engines.py \
        [--trials 30] [--seeds 42,1,7] [--datasets breast-cancer,wine,diabetes]

optuna-integration is not a dependency of predictor; install it beside the venv to run this
(``uv pip install --target DIR --no-deps optuna-integration``). Both engines run one trial at a
time with one XGBoost thread (Optuna's own ``n_jobs`` makes the search depend on thread timing),
then two at a time, each as it would be used: predictor's synchronous batches of two, Optuna's
``n_jobs=2``. Per data set and seed it prints the wall time of the search, the best mean CV score,
the trials pruned and the rounds trained over all trials. Prints only; docs/training.md quotes it.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import optuna
import xgboost as xgb
from optuna_integration import XGBoostPruningCallback

from predictor.adapters.memory import InMemoryExperimentTracker
from predictor.adapters.optuna.tuner import STARTUP_TRIALS, OptunaTuner, patient_median_pruner
from predictor.adapters.sklearn.datasets import LocalDatasetSource
from predictor.adapters.xgboost.search import OBJECTIVES, SEARCH_SPACE, TRIAL_PATIENCE, TRIAL_ROUNDS
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.manifest import ModelManifest
from predictor.domain.preprocessing import PreprocessingSettings
from predictor.domain.schema import FeatureKind, TaskType
from predictor.domain.search import IntParam, TrialState, TuningBudget
from predictor.services.training.cross_validation import fold_indices
from predictor.services.training.data_checks import check_table
from predictor.services.training.preparation import PreparedData, prepare_data
from predictor.services.training.tuning import CV_FOLDS, TuneParameters, tuning_folds


def lockstep(dataset: str, seed: int, trials: int, parallel: int) -> tuple[float, float, int, int]:
    """(seconds, best CV score, trials pruned, rounds trained) of predictor's own search."""
    data = prepared(dataset, seed)
    tracker = InMemoryExperimentTracker()
    tune = TuneParameters(XGBoostTrainer(nthread=1), OptunaTuner(), tracker)
    manifest = ModelManifest(schema=data.schema, booster_file="model.ubj")
    budget = TuningBudget(trials=trials, parallel=parallel, threads=1)
    started = time.perf_counter()
    result = tune(manifest, tuning_folds(data, CV_FOLDS, seed), {}, seed, budget, "cv-engines", "parent")
    seconds = time.perf_counter() - started
    rounds = sum(len(run.histories.get(f"valid_{result.metric}", ())) for run in tracker.runs)
    return seconds, float(result.best.value or 0.0), result.count(TrialState.PRUNED), rounds


def prepared(dataset: str, seed: int) -> PreparedData:
    table = LocalDatasetSource().load(dataset)
    task = check_table(table).task
    return prepare_data(table, task, PreprocessingSettings(), (0.2, 0.2), seed)


def with_xgboost_cv(dataset: str, seed: int, trials: int, jobs: int) -> tuple[float, float, int, int]:
    """The same search through ``xgboost.cv`` and the pruning callback, on the same folds."""
    data = prepared(dataset, seed)
    schema, task = data.schema, data.schema.target.task
    rows = np.sort(np.concatenate([data.train, data.valid]))
    position = {int(row): i for i, row in enumerate(rows.tolist())}
    folds = [
        ([position[int(r)] for r in train], [position[int(r)] for r in valid])
        for train, valid in fold_indices(data.truth, task, rows, CV_FOLDS, seed)
    ]
    matrix, truth = data.part(rows)
    types = ["c" if f.kind is FeatureKind.CATEGORICAL else "q" for f in schema.features]
    dtrain = xgb.DMatrix(matrix, label=truth, feature_types=types, enable_categorical=True, nthread=1)
    objective_name, metric = OBJECTIVES[task]
    base: dict[str, Any] = {"objective": objective_name, "eval_metric": metric, "max_depth": 6, "eta": 0.1,
                            "tree_method": "hist", "nthread": 1, "seed": seed}  # fmt: skip
    if task is TaskType.MULTICLASS:
        base["num_class"] = len(schema.target.labels)
    rounds = [0]

    def objective(trial: optuna.Trial) -> float:
        params = dict(base)
        for p in SEARCH_SPACE:
            if isinstance(p, IntParam):
                params[p.name] = trial.suggest_int(p.name, p.low, p.high, log=p.log)
            else:
                params[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
        history = xgb.cv(
            params, dtrain, num_boost_round=TRIAL_ROUNDS, folds=folds, early_stopping_rounds=TRIAL_PATIENCE,
            callbacks=[Counting(rounds), XGBoostPruningCallback(trial, f"test-{metric}")],
        )  # fmt: skip
        return float(history[f"test-{metric}-mean"].min())

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=STARTUP_TRIALS),
        pruner=patient_median_pruner(),
    )
    started = time.perf_counter()
    study.optimize(objective, n_trials=trials, n_jobs=jobs)
    seconds = time.perf_counter() - started
    pruned = sum(t.state is optuna.trial.TrialState.PRUNED for t in study.trials)
    return seconds, float(study.best_value), pruned, rounds[0]


class Counting(xgb.callback.TrainingCallback):
    """Counts the rounds trained (each round of ``xgboost.cv`` is one round of every fold)."""

    def __init__(self, total: list[int]) -> None:
        self._total = total

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self._total[0] += 1
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seeds", default="42,1,7")
    parser.add_argument("--datasets", default="breast-cancer,wine,diabetes")
    args = parser.parse_args()
    print("| data set | seed | at a time | engine | wall time | best CV score | pruned | rounds |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for dataset in args.datasets.split(","):
        for seed in map(int, args.seeds.split(",")):
            for parallel in (1, 2):
                for name, engine in (("lockstep", lockstep), ("xgboost.cv", with_xgboost_cv)):
                    seconds, best, pruned, rounds = engine(dataset, seed, args.trials, parallel)
                    print(
                        f"| {dataset} | {seed} | {parallel} | {name} | {seconds:.1f} s | {best:.4f} | "
                        f"{pruned} | {rounds} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
