"""Same seed, same model: train with two source trees and compare the model files byte for byte,
and the wall time of each run.

    .venv/bin/python benchmarks/same_model.py --before /tmp/before/src [--after src] [--repeats 3]

Each run is a fresh process with ``PYTHONPATH`` set to the tree's ``src``, training in-process with
the real XGBoost trainer and Optuna tuner, tracked in memory (the model directory goes to a
temporary folder), no plots; the time is that of the ``TrainModel`` call alone, imports excluded.
``--cli`` runs ``predictor train --no-plots -q`` instead, with a SQLite MLflow store in a temporary
directory, and times the whole process. The runs alternate between the trees, so load on the
machine falls on both alike. Prints one line per case: the SHA-256 of each tree's ``model.ubj``
(all repeats must agree), whether they match, and the median wall and CPU time of each tree.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES: dict[str, tuple[str, ...]] = {
    "breast-cancer default": ("--dataset", "breast-cancer"),
    "wine default": ("--dataset", "wine"),
    "diabetes default": ("--dataset", "diabetes"),
    "breast-cancer tuned, 30 trials": ("--dataset", "breast-cancer", "--trials", "30"),
    "wine tuned, 10 trials, 1 fold": ("--dataset", "wine", "--trials", "10", "--cv-folds", "1"),
    "diabetes tuned, 10 trials": ("--dataset", "diabetes", "--trials", "10", "--seed", "7"),
}
RUN = "import sys; from predictor.entrypoints.cli import main; sys.argv[0] = 'predictor'; main()"
# In-process: the same options as TrainingRequest fields, timed around the use case only.
IN_PROCESS = """
import hashlib, sys, time
from pathlib import Path
from predictor.adapters.memory import InMemoryExperimentTracker, InMemoryModelRegistry
from predictor.adapters.optuna.tuner import OptunaTuner
from predictor.adapters.xgboost.trainer import XGBoostTrainer
from predictor.domain.search import TuningBudget
try:
    from predictor.adapters.sklearn.datasets import LocalDatasetSource
    from predictor.services.training.pipeline import TrainingRequest, TrainModel
except ImportError:  # the tree before the layout commit
    from predictor.adapters.datasets import LocalDatasetSource
    from predictor.domain.training import TrainingRequest, TrainModel
args = sys.argv[1:]
option = lambda flag, default: type(default)(args[args.index(flag) + 1]) if flag in args else default
trials = option("--trials", 0)
tracker = InMemoryExperimentTracker(Path(option("--root", "")))
train = TrainModel(
    LocalDatasetSource(), XGBoostTrainer(), tracker, InMemoryModelRegistry(), tuner=OptunaTuner()
)
request = TrainingRequest(
    dataset=option("--dataset", ""), seed=option("--seed", 42), cv_folds=option("--cv-folds", 5),
    tuning=TuningBudget(trials=trials, parallel=2, threads=1) if trials else None, plots=False,
)
started, cpu = time.perf_counter(), time.process_time()
train(request)
print(time.perf_counter() - started, time.process_time() - cpu)
"""


def train_once(src: Path, arguments: tuple[str, ...], cli: bool) -> tuple[str, float, float]:
    """(SHA-256 of the model file, wall seconds, CPU seconds) of one training run on tree ``src``."""
    with tempfile.TemporaryDirectory(prefix="same-model-") as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(src),
            "PREDICTOR_MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db",
            "PREDICTOR_ARTIFACT_ROOT": f"{tmp}/mlartifacts",
        }
        if cli:
            command = [sys.executable, "-c", RUN, "train", *arguments, "--no-plots", "--quiet"]
        else:
            command = [sys.executable, "-c", IN_PROCESS, *arguments, "--root", f"{tmp}/mlartifacts"]
        started, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(command, env=env, cwd=tmp, check=False, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(arguments)} on {src} failed:\n{done.stderr[-2000:]}")
        wall, used = time.perf_counter() - started, _children_cpu() - cpu
        if not cli:
            wall, used = map(float, done.stdout.strip().splitlines()[-1].split())
        models = sorted(Path(tmp, "mlartifacts").rglob("model.ubj"))
        if len(models) != 1:
            raise SystemExit(f"expected one model.ubj, found {len(models)} for {arguments}")
        return hashlib.sha256(models[0].read_bytes()).hexdigest(), wall, used


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the other tree's src directory")
    parser.add_argument("--after", type=Path, default=ROOT / "src")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cli", action="store_true", help="through `predictor train` and MLflow")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="only these (repeatable)")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    same = True
    for case in args.case or list(CASES):
        digests: dict[str, set[str]] = {name: set() for name in trees}
        seconds: dict[str, list[float]] = {name: [] for name in trees}
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.repeats):
            for name, src in trees.items():
                digest, wall, used = train_once(src, CASES[case], args.cli)
                digests[name].add(digest)
                seconds[name].append(wall)
                cpu[name].append(used)
        match = len(digests["before"]) == 1 and digests["before"] == digests["after"]
        same &= match
        times = ", ".join(
            f"{name} {statistics.median(seconds[name]):.2f} s ({statistics.median(cpu[name]):.2f} CPU-s)"
            for name in trees
        )
        shown = " / ".join(f"{name} {','.join(sorted(d))[:12]}" for name, d in digests.items())
        sys.stdout.write(f"{case}: {'SAME' if match else 'DIFFERENT'} ({shown}); median wall {times}\n")
        sys.stdout.flush()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
