"""Training before and after a change: the same `predictor train` with the same seed, in two
source trees, on one host, in one run. Checks that both trees write the same booster byte for
byte, and puts their tuning wall times side by side (the floor: within 10 %).

    .venv/bin/python benchmarks/train_ab.py --before /tmp/before [--trials 30] [--repeats 3]
    .venv/bin/python benchmarks/train_bench.py --before /tmp/before   # the same, as a section there

Each tree runs as a subprocess of this environment's Python with ``PYTHONPATH`` on its ``src/``,
through the command line only (`python -m predictor train`, then `predictor export`), so no
internal import ties the script to either tree. Every run gets a fresh temporary folder as its
working directory, with a SQLite MLflow store in it (MLflow's plain file store refuses new
runs). The trees alternate (ABBA…) so drift on a shared host hits both.

Tuning wall time is the `train --trials N` command's wall time less the same command's without
tuning (imports, data checks, the final fit, evaluation, tracking and export cancel out).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASET = "breast-cancer"
SEED = 42
MODEL = "bench"
# The floor of issue 14: tuning after the change takes at most 10 % longer than before.
TUNING_FLOOR = 1.10


@dataclass
class Run:
    seconds: float
    digests: dict[str, str]
    booster: str


@dataclass
class Tree:
    name: str
    source: Path
    default: list[Run] = field(default_factory=list)
    tuned: list[Run] = field(default_factory=list)

    def tuning_seconds(self) -> list[float]:
        return [t.seconds - d.seconds for d, t in zip(self.default, self.tuned, strict=True)]


def _env(source: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREDICTOR_", "MLFLOW_"))}
    uri = f"sqlite:///{work / 'mlflow.db'}"
    # Both names: PREDICTOR_* may be renamed by the change under test; MLflow's own stays.
    env.update(PYTHONPATH=str(source), PREDICTOR_MLFLOW_TRACKING_URI=uri, MLFLOW_TRACKING_URI=uri)
    return env


def _predictor(source: Path, work: Path, *arguments: str) -> None:
    command = [sys.executable, "-m", "predictor", *arguments]
    done = subprocess.run(
        command, cwd=work, env=_env(source, work), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} (PYTHONPATH={source}) failed:\n{done.stdout}{done.stderr}")


def train(source: Path, trials: int | None) -> Run:
    """One `predictor train` in a fresh folder, timed; then the registered version exported and
    its files hashed."""
    with tempfile.TemporaryDirectory(prefix="train-ab-") as tmp:
        work = Path(tmp)
        tuning = ["--trials", str(trials)] if trials else []
        arguments = ["--dataset", DATASET, "--seed", str(SEED), "--register", MODEL, "--no-plots", "-q"]
        started = time.perf_counter()
        _predictor(source, work, "train", *arguments, *tuning)
        seconds = time.perf_counter() - started
        exported = work / "exported"
        _predictor(source, work, "export", f"models:/{MODEL}/1", str(exported))
        digests = {
            path.relative_to(exported).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(exported.rglob("*"))
            if path.is_file()
        }
        booster = json.loads((exported / "manifest.json").read_text())["booster_file"]
        return Run(seconds, digests, booster)


def compare(before: Path, trials: int, repeats: int) -> tuple[list[str], bool]:
    """Run both trees; return the report's lines and whether the floors hold."""
    trees = [Tree("before", before / "src"), Tree("after", ROOT / "src")]
    for repeat in range(repeats):
        for tree in trees if repeat % 2 == 0 else reversed(trees):
            tree.default.append(train(tree.source, None))
            tree.tuned.append(train(tree.source, trials))
            print(
                f"{tree.name}: default {tree.default[-1].seconds:.1f} s, "
                f"{trials} trials {tree.tuned[-1].seconds:.1f} s",
                flush=True,
            )
    old, new = trees
    lines = [
        f"Seed {SEED}, `{DATASET}`, `predictor train --seed {SEED} --no-plots` without tuning and with "
        f"`--trials {trials}`, {repeats}x per tree, alternating; before: `{before}`, after: this tree.",
        "",
        "| run | file | before SHA-256 | after SHA-256 | same bytes |",
        "| --- | --- | --- | --- | --- |",
    ]
    identical = True
    for mode, runs_before, runs_after in (
        ("default", old.default, new.default),
        ("tuned", old.tuned, new.tuned),
    ):
        first_before, first_after = runs_before[0], runs_after[0]
        for name in sorted(set(first_before.digests) | set(first_after.digests)):
            b, a = first_before.digests.get(name, "–"), first_after.digests.get(name, "–")
            is_booster = name == first_before.booster
            all_same = all(r.digests.get(name) == b for r in runs_before + runs_after)
            if is_booster:
                identical &= all_same
            shown = name + (" (booster)" if is_booster else "")
            if not is_booster:  # the booster's digests in full; the rest (run ids, dates) in short
                b, a = b[:16] + "…", a[:16] + "…"
            lines.append(f"| {mode} | {shown} | `{b}` | `{a}` | {'yes' if all_same else 'no'} |")
    tuning_before, tuning_after = (
        statistics.median(old.tuning_seconds()),
        statistics.median(new.tuning_seconds()),
    )
    ratio = tuning_after / tuning_before
    within = ratio <= TUNING_FLOOR
    lines += [
        "",
        "| wall time (median) | before | after | after / before |",
        "| --- | ---: | ---: | ---: |",
        _time_row("train, no tuning", old.default, new.default),
        _time_row(f"train, {trials} trials", old.tuned, new.tuned),
        f"| tuning ({trials} trials less no tuning) | {tuning_before:.1f} s | {tuning_after:.1f} s | "
        f"{ratio:.2f}x |",
        "",
        f"- {'met' if identical else '**not met**'}: the same seed gives the same booster byte for byte "
        "(every run of both trees)",
        f"- {'met' if within else '**not met**'}: tuning wall time after / before {ratio:.2f}x "
        f"(goal <= {TUNING_FLOOR:.2f}x)",
    ]
    for line in lines[-2:]:
        print(line)
    return lines, identical and within


def _time_row(label: str, before: list[Run], after: list[Run]) -> str:
    b, a = statistics.median(r.seconds for r in before), statistics.median(r.seconds for r in after)
    return f"| {label} | {b:.1f} s | {a:.1f} s | {a / b:.2f}x |"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--before", type=Path, required=True, metavar="DIR", help="the source tree to compare"
    )
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3, help="runs per tree and mode")
    args = parser.parse_args()
    lines, holds = compare(args.before.resolve(), args.trials, args.repeats)
    print("\n".join(lines))
    return 0 if holds else 1


if __name__ == "__main__":
    sys.exit(main())
