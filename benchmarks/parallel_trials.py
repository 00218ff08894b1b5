"""How many trials at a time? Two (a thread each, on two cores) against one, by the
best cross-validated score each search finds, on the bundled data sets and the training
benchmark's seeds.

    .venv/bin/python benchmarks/parallel_trials.py [--seeds 1,7,13,42]  (the training benchmark's)

Each run is a 30-trial tuning run (5-fold cross-validation, one XGBoost thread per model,
tracked in memory, no plots). The same seed and number of parallel trials always give the same
search, so the scores do not depend on the machine's load; the wall times do. Another number of
parallel trials changes what the sampler has seen when it asks for a trial, so the two search
differently. Prints only; docs/training.md quotes the result.
"""

from __future__ import annotations

import argparse
import time

from predictor.domain.search import TuningBudget
from predictor.services.training.pipeline import TrainingRequest
from train_bench import COMPARE_SEEDS, DATASETS, in_memory_trainer  # benchmarks/ is on the path

LAYOUTS = (2, 1)


def seed_list(text: str) -> list[int]:
    """``1,7,13,42`` -> [1, 7, 13, 42] (argparse reports a bad value as invalid)."""
    return [int(s) for s in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ",".join(map(str, COMPARE_SEEDS))
    parser.add_argument("--seeds", type=seed_list, default=seed_list(default), help=f"e.g. {default}")
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    wins = dict.fromkeys(LAYOUTS, 0)
    print("| data set | seed | " + " | ".join(f"{p} at a time: best CV score (time)" for p in LAYOUTS) + " |")
    print("| --- | ---: |" + " ---: |" * len(LAYOUTS))
    for dataset in DATASETS:
        for seed in args.seeds:
            found: dict[int, float] = {}
            cells = []
            for parallel in LAYOUTS:
                budget = TuningBudget(trials=args.trials, parallel=parallel, threads=1)
                request = TrainingRequest(dataset=dataset, seed=seed, tuning=budget, plots=False)
                started = time.perf_counter()
                tuning = in_memory_trainer()(request).tuning
                assert tuning is not None  # a tuning run
                assert tuning.best.value is not None  # whose best trial completed
                found[parallel] = tuning.best.value if tuning.maximize else -tuning.best.value
                seconds = time.perf_counter() - started
                cells.append(f"{tuning.metric} {tuning.best.value:.4f} ({seconds:.1f} s)")
            print(f"| {dataset} | {seed} | " + " | ".join(cells) + " |", flush=True)
            best = max(found.values())
            if list(found.values()).count(best) == 1:
                wins[max(found, key=lambda p: found[p])] += 1
    print(", ".join(f"{p} at a time found the better score {n} times" for p, n in wins.items()))


if __name__ == "__main__":
    main()
