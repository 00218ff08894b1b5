"""Import cost on the Lambda path: Powertools' parameters utility (``SecretsProvider``) against
a boto3 Secrets Manager client alone, each in a fresh interpreter, the variants alternating so
drift on a shared host hits all of them.

    .venv/bin/python benchmarks/secrets_import.py --runs 9

Each child times its own imports and client construction (no network: a client is built, no
call is made) and reports the seconds, so the interpreter's own start-up is left out. The
predictor adapter's figure includes ``predictor``'s domain (numpy), which the Lambda path
imports anyway.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

VARIANTS = {
    "boto3 client": "import boto3\nboto3.session.Session().client('secretsmanager')",
    "predictor adapter": (
        "from predictor.adapters.aws.secrets import SecretsManagerSecretStore\nSecretsManagerSecretStore()"
    ),
    "powertools SecretsProvider": (
        "from aws_lambda_powertools.utilities.parameters import SecretsProvider\nSecretsProvider()"
    ),
}
CHILD = "import time\nstarted = time.perf_counter()\n{code}\nprint(time.perf_counter() - started)\n"


def one_run(code: str) -> float:
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    done = subprocess.run(
        [sys.executable, "-X", "frozen_modules=on", "-c", CHILD.format(code=code)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for run in range(args.runs):
        names = list(VARIANTS) if run % 2 == 0 else list(reversed(VARIANTS))
        for name in names:
            times[name].append(one_run(VARIANTS[name]))
    boto3_median = statistics.median(times["boto3 client"])
    print("| variant | median (s) | min (s) | max (s) | vs boto3 client |")
    print("| --- | --- | --- | --- | --- |")
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(
            f"| {name} | {median:.3f} | {min(seconds):.3f} | {max(seconds):.3f} | "
            f"{median - boto3_median:+.3f} s |"
        )
    print(f"\n{args.runs} fresh processes per variant, {sys.executable}")


if __name__ == "__main__":
    main()
