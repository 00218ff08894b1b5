"""Does pruning steer the search? The median pruner (the default until this study) against the
patient median pruner (the default since), on development splits of a bundled data set.

    .venv/bin/python benchmarks/pruning.py [--dataset breast-cancer] [--seeds 100-123]

Each run is a 30-trial tuning run (5-fold cross-validation, two trials at a time, tracked in
memory, no plots). Per seed and variant: the untouched test split's ROC AUC, the best
cross-validated log loss the search found (its own objective), the pruned trials and the wall
time. The default seeds leave out 42, the split the training benchmark reports, so the choice
is not made on it. Prints only; docs/training.md quotes the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import optuna

from predictor.adapters.optuna.tuner import OptunaTuner, median_pruner, patient_median_pruner
from predictor.domain.search import TrialState, TuningBudget
from predictor.services.training.pipeline import TrainingRequest
from train_bench import in_memory_trainer  # the benchmarks' folder is the script's path
from tuning_metric import print_header, print_means, print_wins, study_arguments

VARIANTS: dict[str, Callable[[], optuna.pruners.BasePruner]] = {
    "median": median_pruner,
    "median, patience 10": patient_median_pruner,
}


def main() -> None:
    args = study_arguments(__doc__.splitlines()[0], "100-123")
    aucs: dict[str, list[float]] = {name: [] for name in VARIANTS}
    losses: dict[str, list[float]] = {name: [] for name in VARIANTS}
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    print_header([f"{name}: test ROC AUC, best CV score, pruned, time" for name in VARIANTS])
    for seed in args.seeds:
        cells = []
        for name, pruner in VARIANTS.items():
            train = in_memory_trainer(OptunaTuner(pruner))
            request = TrainingRequest(
                dataset=args.dataset,
                seed=seed,
                tuning=TuningBudget(trials=args.trials, parallel=2, threads=1),
                plots=False,
            )
            started = time.perf_counter()
            outcome = train(request)
            elapsed = time.perf_counter() - started
            assert outcome.tuning is not None  # a tuning run
            assert outcome.tuning.best.value is not None  # whose best trial completed
            auc, loss = outcome.metrics["roc_auc"], outcome.tuning.best.value
            aucs[name].append(auc)
            losses[name].append(loss)
            seconds[name].append(elapsed)
            pruned = outcome.tuning.count(TrialState.PRUNED)
            cells.append(f"{auc:.4f}, {loss:.4f}, {pruned}, {elapsed:.1f} s")
        print(f"| {seed} | " + " | ".join(cells) + " |", flush=True)
    print_means(aucs)
    print_means(losses)
    print_means(seconds)
    first, second = VARIANTS
    print_wins(f"{second}, test ROC AUC", aucs[second], first, aucs[first])
    print_wins(f"{second}, best CV score", losses[second], first, losses[first], lower_is_better=True)


if __name__ == "__main__":
    main()
