"""After tuning, what should the model be? The refit predictor makes (the best trial's parameters
on the training and validation rows, for the best round of the mean cross-validation curve)
against three common alternatives, on development splits of a bundled data set.

    .venv/bin/python benchmarks/refit_variants.py [--dataset breast-cancer] [--seeds 100-123]

For each seed: one 30-trial tuning run (5-fold cross-validation, two trials at a time, tracked in
memory, no plots), then, from its best trial,

- refit: what ``predictor train --trials 30`` registers (its test ROC AUC is the run's own);
- rounds x k/(k-1): the same refit boosting 5/4 as long (each fold trained on 4/5 of the rows);
- fold models: the mean prediction of the five fold models, each at the best round;
- five seeds: the mean prediction of five refits with seeds seed..seed+4 (subsampling differs).

The table gives the untouched test split's ROC AUC. The default seeds leave out 42, the split
the training benchmark reports, so the choice is not made on it. Prints only; docs/training.md
quotes the result.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np

from predictor.adapters.sklearn.datasets import LocalDatasetSource
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.manifest import ModelManifest
from predictor.domain.ports import Matrix, Scores
from predictor.domain.ports.training import FitSpec
from predictor.domain.preprocessing import PreprocessingSettings
from predictor.domain.search import TuningBudget
from predictor.services.training.data_checks import check_table
from predictor.services.training.metrics import evaluate
from predictor.services.training.pipeline import TrainingRequest
from predictor.services.training.preparation import PreparedData, prepare_data
from predictor.services.training.tuning import CV_FOLDS, tuning_folds
from train_bench import in_memory_trainer  # the benchmarks' folder is the script's path
from tuning_metric import print_header, print_means, print_wins, study_arguments

VARIANTS = ("refit", "rounds x k/(k-1)", "fold models", "five seeds")


def variants(dataset: str, seed: int, trials: int) -> dict[str, float]:
    request = TrainingRequest(
        dataset=dataset, seed=seed, tuning=TuningBudget(trials=trials, parallel=2, threads=1), plots=False
    )
    outcome = in_memory_trainer()(request)
    assert outcome.tuning is not None  # a tuning run
    table = LocalDatasetSource().load(dataset)
    data: PreparedData = prepare_data(
        table,
        check_table(table, None).task,
        PreprocessingSettings(),
        (request.test_fraction, request.valid_fraction),
        seed,
    )
    draft = ModelManifest(schema=data.schema, booster_file="model.ubj")
    trainer = XGBoostTrainer()
    best, rounds = dict(outcome.tuning.best.params), outcome.tuning.best_rounds
    test_matrix, test_truth = data.part(data.test)
    refit_rows = data.part(np.sort(np.concatenate([data.train, data.valid])))

    def fit(rows: tuple[Matrix, Scores], boost: int, fit_seed: int) -> np.ndarray:
        spec = FitSpec(draft, rows, data.part(data.valid), best, fit_seed, rounds=boost, patience=0)
        return np.asarray(trainer.fit(spec).predict(test_matrix))

    def auc(predictions: Sequence[np.ndarray]) -> float:
        target = data.schema.target  # the mean probabilities, scored as the training run scores
        return evaluate(target.task, test_truth, np.mean(predictions, axis=0), len(target.labels))["roc_auc"]

    folds = tuning_folds(data, CV_FOLDS, seed)
    longer = CV_FOLDS / (CV_FOLDS - 1)
    built: dict[str, Callable[[], float]] = {
        "refit": lambda: outcome.metrics["roc_auc"],
        "rounds x k/(k-1)": lambda: auc([fit(refit_rows, math.ceil(rounds * longer), seed)]),
        "fold models": lambda: auc([fit(train, rounds, seed) for train, _ in folds]),
        "five seeds": lambda: auc([fit(refit_rows, rounds, seed + k) for k in range(5)]),
    }
    return {name: make() for name, make in built.items()}


def main() -> None:
    args = study_arguments(__doc__.splitlines()[0], "100-123")
    scores: dict[str, list[float]] = {name: [] for name in VARIANTS}
    print_header(VARIANTS)
    for seed in args.seeds:
        started = time.perf_counter()
        found = variants(args.dataset, seed, args.trials)
        for name in VARIANTS:
            scores[name].append(found[name])
        cells = " | ".join(f"{found[name]:.4f}" for name in VARIANTS)
        print(f"| {seed} | {cells} | ({time.perf_counter() - started:.0f} s)", flush=True)
    print_means(scores)
    for name in VARIANTS[1:]:
        print_wins(name, scores[name], "the refit", scores["refit"])


if __name__ == "__main__":
    main()
