"""Which validation metric should tuning score trials on? Log loss (the default) against ROC AUC,
with two trials at a time (the default) and one, on development splits of a bundled data set.

    .venv/bin/python benchmarks/tuning_metric.py [--dataset breast-cancer] [--seeds 100-111]

Each run is a 30-trial tuning run (5-fold cross-validation), tracked in memory, without plots;
the table gives the untouched test split's ROC AUC per seed and the mean. The default seeds leave
out 42, the split the training benchmark reports, so the choice is not made on it. Prints only;
docs/training.md quotes the result.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping, Sequence
from typing import Any

from predictor.domain.search import TuningBudget
from predictor.services.training.pipeline import TrainingRequest
from train_bench import in_memory_trainer  # the benchmarks' folder is the script's path

VARIANTS: dict[str, tuple[dict[str, Any], int]] = {
    "logloss, 2 at a time": ({}, 2),
    "logloss, 1 at a time": ({}, 1),
    "auc, 2 at a time": ({"eval_metric": "auc"}, 2),
    "auc, 1 at a time": ({"eval_metric": "auc"}, 1),
}


def seed_range(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def study_arguments(description: str, seeds: str) -> argparse.Namespace:
    """The options of a study over development splits: --dataset, --seeds and --trials."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--dataset", default="breast-cancer", choices=["breast-cancer", "wine"])
    parser.add_argument("--seeds", type=seed_range, default=seed_range(seeds), help=f"e.g. {seeds}")
    parser.add_argument("--trials", type=int, default=30)
    return parser.parse_args()


def print_header(columns: Sequence[str]) -> None:
    print("| seed | " + " | ".join(columns) + " |")
    print("| ---: |" + " ---: |" * len(columns))


def print_means(scores: Mapping[str, Sequence[float]]) -> None:
    print("| mean | " + " | ".join(f"**{sum(v) / len(v):.4f}**" for v in scores.values()) + " |")


def print_wins(
    name: str, scores: Sequence[float], baseline: str, base: Sequence[float], lower_is_better: bool = False
) -> None:
    """On how many seeds ``scores`` beat ``base``, and on how many they lost (ties are neither)."""
    sign = -1 if lower_is_better else 1
    gains = [sign * (a - b) for a, b in zip(scores, base, strict=True)]
    better, worse = sum(g > 0 for g in gains), sum(g < 0 for g in gains)
    print(f"{name}: better than {baseline} on {better} seeds, worse on {worse}")


def main() -> None:
    args = study_arguments(__doc__.splitlines()[0], "100-111")
    scores: dict[str, list[float]] = {name: [] for name in VARIANTS}
    print_header(list(VARIANTS))
    for seed in args.seeds:
        cells = []
        for name, (params, parallel) in VARIANTS.items():
            train = in_memory_trainer()
            request = TrainingRequest(
                dataset=args.dataset,
                seed=seed,
                params=params,
                tuning=TuningBudget(trials=args.trials, parallel=parallel, threads=1),
                plots=False,
            )
            started = time.perf_counter()
            auc = train(request).metrics["roc_auc"]
            scores[name].append(auc)
            cells.append(f"{auc:.4f} ({time.perf_counter() - started:.1f} s)")
        print(f"| {seed} | " + " | ".join(cells) + " |", flush=True)
    print_means(scores)


if __name__ == "__main__":
    main()
