"""What an EMF metrics writer adds to a serving process's import time: Powertools' Metrics
against our own sink module, each imported in a fresh process after what serving imports anyway.

    .venv/bin/python benchmarks/emf_import.py --runs 15

Each run is a new interpreter that imports the base (the HTTP app factory, as a container or
the Lambda entry does), then times the import of the candidate alone; the table gives the
median and the spread of the runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

BASE = "predictor.entrypoints.http.app"
CANDIDATES = {
    "powertools": "aws_lambda_powertools.metrics",
    "ours (logs.metrics)": "predictor.adapters.logs.metrics",
    "prometheus_client": "prometheus_client",
}
PROGRAM = (
    "import time, importlib\n"
    "importlib.import_module({base!r})\n"
    "started = time.perf_counter()\n"
    "importlib.import_module({module!r})\n"
    "print((time.perf_counter() - started) * 1000)\n"
)


def one_run(module: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(base=BASE, module=module)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"import time added after `import {BASE}`, fresh process, {args.runs} runs (ms)")
    print(f"{'module':<24} {'median':>8} {'min':>8} {'max':>8}")
    # Interleaved, so a busy moment on the machine falls on every candidate alike.
    times: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    for _ in range(args.runs):
        for name, module in CANDIDATES.items():
            times[name].append(one_run(module))
    for name, runs in times.items():
        print(f"{name:<24} {statistics.median(runs):>8.1f} {min(runs):>8.1f} {max(runs):>8.1f}")


if __name__ == "__main__":
    main()
