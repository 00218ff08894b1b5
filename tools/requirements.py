"""The locked requirements of one of predictor's installs, for the images (docker/) and the
Lambda zip (tools/lambda_zip.py): what ``uv.lock`` pins for ``--no-dev`` and the install's extras,
one ``name==version ; marker`` line each, with two changes:

- the ``xgboost-cpu`` wheel of the locked version instead of ``xgboost``, whose Linux wheel is built
  for CUDA and pulls in NVIDIA's NCCL (469 MB), of no use on a CPU;
- the packages nothing on the install's path imports, left out (``LEFT_OUT`` says which and why).

    .venv/bin/python -m tools.requirements api > requirements.txt
    uv pip install --no-deps -r requirements.txt .

The project itself is not listed: install it beside the file, ``--no-deps``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKED = ("--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--no-annotate")
# The CUDA build's NCCL: no install of predictor wants it once xgboost-cpu replaces xgboost.
NCCL = "nvidia-"
# scipy: the xgboost Python package wants it, while serving loads libxgboost directly;
# uvloop and httptools: `predictor serve`'s event loop and HTTP parser, idle where no server runs.
SCIPY, SERVER = ("scipy==",), ("uvloop==", "httptools==")


@dataclass(frozen=True)
class Install:
    """One install: the extras it adds to the serving dependencies, the packages it leaves out."""

    extras: tuple[str, ...]
    left_out: tuple[str, ...]


INSTALLS = {
    "api": Install((), (NCCL, *SCIPY)),  # docker/api.Dockerfile: an exported model
    "api-registry": Install(("mlflow",), (NCCL,)),  # the same, following a registry alias
    "lambda": Install(("aws",), (NCCL, *SCIPY, *SERVER)),  # tools/lambda_zip.py, docker/lambda.Dockerfile
    "mlflow": Install(("mlflow",), (NCCL,)),  # docker/mlflow.Dockerfile
    "train": Install(("train", "mlflow"), (NCCL,)),  # docker/train.Dockerfile (boto3 for s3:// data)
}


def uv() -> str:
    bundled = ROOT / ".uv" / "bin" / "uv"
    found = str(bundled) if bundled.exists() else shutil.which("uv")
    if found is None:
        raise FileNotFoundError("uv is needed (make setup puts it at .uv/bin/uv)")
    return found


def pins(name: str) -> list[str]:
    """The locked requirement lines of the install ``name`` (a key of ``INSTALLS``), markers kept."""
    install = INSTALLS[name]
    extras = [argument for extra in install.extras for argument in ("--extra", extra)]
    exported = subprocess.run(
        [uv(), "export", *LOCKED, *extras], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = [line.strip() for line in exported.stdout.splitlines()]
    kept = [line for line in lines if line and not line.startswith(("#", *install.left_out))]
    return [
        "xgboost-cpu" + line.removeprefix("xgboost") if line.startswith("xgboost==") else line
        for line in kept
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("install", choices=sorted(INSTALLS), help="which install's requirements")
    args = parser.parse_args(argv)
    sys.stdout.write("\n".join(pins(args.install)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
